import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon being measured: a separate process on a temporary socket and database.
final class DaemonUnderTest {
    let directory: String
    let socketPath: String
    let databasePath: String
    let process: Process
    /// Seconds from spawn until the socket answered a ping.
    let startupSeconds: Double
    let description: String

    init(binary: String?, arguments: [String] = []) throws {
        directory = NSTemporaryDirectory() + "joblog-bench-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/sock"
        databasePath = directory + "/db.sqlite"
        let p = Process()
        let common = ["--socket", socketPath, "--db", databasePath, "--log-level", "warning"] + arguments
        if let binary {
            // No HTTP service unless asked for (`serve` below has none).
            let http = arguments.contains("--http") ? [] : ["--http", "off"]
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = common + http
            description = binary
        } else {
            // The same daemon code, run by this binary (JobLogDaemon).
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            p.arguments = ["serve"] + common
            description = "in-process JobLogDaemon (\(CommandLine.arguments[0]) serve)"
        }
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let t0 = now()
        try p.run()
        process = p
        while true {
            if let s = try? LineSocket(path: socketPath), (try? s.call(Workload.ping(1))) != nil { break }
            if !p.isRunning { throw BenchError("the daemon exited at start") }
            if now() - t0 > 30 { throw BenchError("the daemon did not answer within 30 s") }
            usleep(1000)
        }
        startupSeconds = now() - t0
    }

    /// Current, peak and private (anonymous) resident memory, in bytes, from /proc. RSS also
    /// counts the pages of shared libraries (the Swift runtime, Foundation, SQLite), which every
    /// Swift process on the host shares; the private part is what this daemon alone costs.
    func memory() -> (rss: Int, peak: Int, anonymous: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        else {
            return (0, 0, 0)
        }
        func field(_ name: String) -> Int {
            for line in status.split(separator: "\n") where line.hasPrefix(name) {
                return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0)
                    * 1024
            }
            return 0
        }
        return (field("VmRSS:"), field("VmHWM:"), field("RssAnon:"))
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
