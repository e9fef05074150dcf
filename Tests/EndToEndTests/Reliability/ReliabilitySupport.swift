import Foundation
import JobLogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What the reliability tests share: process figures from /proc, threads, shell commands, paging.
enum Reliability {
    /// A field of /proc/PID/status in kB (`VmRSS`, `VmHWM`); 0 when unreadable.
    static func statusKB(_ pid: Int32, _ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let digits = line.dropFirst(field.count + 1).filter { $0.isNumber }
            return Int(digits) ?? 0
        }
        return 0
    }

    /// Resident memory now, in MB.
    static func rssMB(_ pid: Int32) -> Double { Double(statusKB(pid, "VmRSS")) / 1024 }

    /// The highest resident memory so far, in MB.
    static func peakRSSMB(_ pid: Int32) -> Double { Double(statusKB(pid, "VmHWM")) / 1024 }

    /// Megabytes with one decimal, for printed figures.
    static func mb(_ value: Double) -> String { String(format: "%.1f MB", value) }

    /// Open descriptors of a process.
    static func openFDs(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// Runs a command found on PATH; its exit status and standard output (stderr is appended).
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let inPipe = Pipe()
        if input != nil { p.standardInput = inPipe }
        do { try p.run() } catch { return (-1, "\(error)") }
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func hasCommand(_ name: String) -> Bool { run(["sh", "-c", "command -v \(name)"]).status == 0 }

    /// `PRAGMA integrity_check` from a second process: the sqlite3 shell, else Python's sqlite3.
    /// The daemon's store checked: SQLite's `integrity_check` of its file, or on PostgreSQL
    /// (`JOBLOG_TEST_STORE=postgres`) the backend's own check: every log entry belongs to a run
    /// or to a pruned run.
    static func integrityCheck(_ daemon: TestDaemon) -> String {
        guard let url = daemon.storeURL else { return integrityCheck(daemon.databasePath) }
        let orphans =
            (try? PostgresCluster.query(
                url: url,
                """
                SELECT count(*) FROM (SELECT DISTINCT run_id FROM logs) l
                WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = l.run_id)
                    AND NOT EXISTS (SELECT 1 FROM pruned_runs p WHERE p.run_id = l.run_id)
                """)) ?? "no answer from psql"
        return orphans == "0" ? "ok" : "\(orphans) runs have log entries but no run row"
    }

    static func integrityCheck(_ db: String) -> String {
        if hasCommand("sqlite3") { return run(["sqlite3", db, "PRAGMA integrity_check"]).output }
        let script =
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"
        return run(["python3", "-c", script, db]).output
    }

    /// Lines of the daemon's log that contain `text`.
    static func logLines(_ daemon: TestDaemon, containing text: String) -> Int {
        daemon.daemonLog().split(separator: "\n").filter { $0.contains(text) }.count
    }

    /// Raises this process's descriptor limit (inherited by daemons started later); returns the new soft limit.
    @discardableResult
    static func raiseFileLimit(to wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < rlim_t(wanted) {
            limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// Runs `body(i)` on `count` threads at once and waits for all of them.
    static func onThreads(_ count: Int, stackSize: Int = 1 << 20, _ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchSemaphore(value: 0)
        for i in 0..<count {
            let t = Thread {
                body(i)
                done.signal()
            }
            t.stackSize = stackSize
            t.start()
        }
        for _ in 0..<count { done.wait() }
    }

    /// Every log entry of a run, oldest first.
    static func allLogs(_ client: LineClient, _ runID: String) throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        var after = "0"
        while true {
            let page =
                try client.result("getLogs", ["jobRunId": runID, "afterId": after, "limit": 10000])["logs"]
                as? [[String: Any]] ?? []
            if page.isEmpty { return all }
            all += page
            after = page.last?["id"] as? String ?? after
        }
    }

    /// Milliseconds since `start`.
    static func ms(since start: Date) -> Int { Int(Date().timeIntervalSince(start) * 1000) }
}

/// A value shared between threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

/// A small seeded generator (SplitMix64), so a failing run can be replayed with its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `JOBLOG_SEED` when set, else a fresh one.
    static func seed() -> UInt64 {
        if let s = ProcessInfo.processInfo.environment["JOBLOG_SEED"], let v = UInt64(s) { return v }
        return UInt64.random(in: 1...UInt64.max)
    }
}
