import Foundation
import GRDBSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon run under `valgrind --tool=callgrind`, which counts the instructions it executes.
///
/// valgrind 3.19 needs two work-arounds for a Swift 6 release binary: it cannot read its
/// DWARF 5 debug info (a copy with the debug sections stripped is run; symbols stay), and it
/// writes into the read-only signal mask libdispatch passes to `sigsuspend` (a preloaded
/// shim passes a copy).
final class CallgrindDaemon {
    let directory: String
    let socketPath: String
    let databasePath: String
    let process: Process
    private var dumps = 0

    /// The shim preloaded into the daemon: `sigsuspend` on a writable copy of the mask.
    static let sigsuspendShim = """
        #define _GNU_SOURCE
        #include <signal.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int sigsuspend(const sigset_t *mask) {
          sigset_t copy = *mask;
          return (int)syscall(SYS_rt_sigsuspend, &copy, 8);
        }
        """

    /// The tools it needs that are not on PATH (valgrind, callgrind_control, objcopy, cc).
    static func missingTools() -> [String] {
        ["valgrind", "callgrind_control", "objcopy", "cc"].filter { which($0) == nil }
    }

    /// Starts `binary` (a joblogd; nil: this binary's `serve`) under callgrind and waits until it answers.
    init(binary: String?) throws {
        directory = NSTemporaryDirectory() + "joblog-bench-callgrind-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/sock"
        databasePath = directory + "/db.sqlite"
        let stripped = directory + "/joblogd-nodbg"
        try Self.tool("objcopy", ["--strip-debug", binary ?? CommandLine.arguments[0], stripped])
        try Self.sigsuspendShim.write(toFile: directory + "/sigshim.c", atomically: true, encoding: .utf8)
        try Self.tool("cc", ["-O2", "-shared", "-fPIC", "-o", directory + "/sigshim.so", directory + "/sigshim.c"])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.which("valgrind")!)
        p.arguments =
            [
                "--tool=callgrind", "--separate-threads=no", "--callgrind-out-file=\(directory)/cg.out", stripped,
            ] + (binary == nil ? ["serve"] : [])
            + ["--socket", socketPath, "--db", databasePath, "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = directory + "/sigshim.so"
        p.environment = environment
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        _ = FileManager.default.createFile(atPath: directory + "/valgrind.log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: directory + "/valgrind.log")
        try p.run()
        process = p
        let t0 = now()
        while true {
            if let s = try? LineSocket(path: socketPath), (try? s.call(Workload.ping(1))) != nil { break }
            if !p.isRunning {
                let log = (try? String(contentsOfFile: directory + "/valgrind.log", encoding: .utf8)) ?? ""
                throw BenchError("the daemon under callgrind exited at start: \(log.suffix(2000))")
            }
            if now() - t0 > 120 { throw BenchError("the daemon under callgrind did not answer within 120 s") }
            usleep(20_000)
        }
    }

    /// Runs SQL on the daemon's database through a connection of its own (WAL: the daemon
    /// keeps running; its statements are prepared again for a changed schema).
    func execute(_ sql: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(databasePath, &db) == SQLITE_OK, let db else { throw BenchError("cannot open the database") }
        defer { sqlite3_close(db) }
        sqlite3_busy_timeout(db, 10_000)
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    /// Instructions the daemon executed while `body` ran (all threads), and the seconds it took.
    func count(_ body: () throws -> Void) throws -> (instructions: Double, seconds: Double) {
        try Self.tool("callgrind_control", ["-z", "\(process.processIdentifier)"])
        let t0 = now()
        try body()
        let seconds = now() - t0
        try Self.tool("callgrind_control", ["-d", "\(process.processIdentifier)"])
        dumps += 1
        let file = "\(directory)/cg.out.\(dumps)"
        let deadline = now() + 60
        while now() < deadline {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("summary:") })
                    ?? text.split(separator: "\n").first(where: { $0.hasPrefix("totals:") }),
                let n = Double(line.split(separator: " ").last ?? "")
            {
                return (n, seconds)
            }
            usleep(50_000)
        }
        throw BenchError("no callgrind dump in \(file)")
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        // JOBLOG_BENCH_KEEP_PROFILES=1 keeps the dumps (`callgrind_annotate --inclusive=yes cg.out.N`).
        if ProcessInfo.processInfo.environment["JOBLOG_BENCH_KEEP_PROFILES"] == "1" {
            FileHandle.standardError.write(Data("callgrind profiles kept in \(directory)\n".utf8))
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    deinit { stop() }

    private static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    private static func tool(_ name: String, _ arguments: [String]) throws {
        guard let path = which(name) else { throw BenchError("\(name) is not installed") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BenchError("\(name) \(arguments.joined(separator: " ")) failed (\(p.terminationStatus))")
        }
    }
}
