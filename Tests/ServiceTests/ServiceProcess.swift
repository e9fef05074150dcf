import Foundation
import JobLogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A `joblogd` started as a service manager would: with extra environment variables, stdout and
/// stderr to a log file, optionally through a launcher (an `argv` prefix that execs the daemon,
/// so the daemon keeps the launcher's pid). Does not wait for it to answer.
final class ServiceProcess: @unchecked Sendable {
    let directory: String
    let logPath: String
    let process = Process()

    static var daemonBinary: String { TestDaemon.binary }
    static var cliBinary: String { (daemonBinary as NSString).deletingLastPathComponent + "/joblog" }

    /// A fresh temporary directory (short path: Unix socket paths are limited to 107 bytes).
    static func makeDirectory() throws -> String {
        let dir = "/tmp/joblogd-svc-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    init(directory: String, launcher: [String] = [], arguments: [String], environment: [String: String]) throws {
        self.directory = directory
        logPath = directory + "/daemon.log"
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let argv = launcher + [Self.daemonBinary] + arguments
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment
        for key in ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC", "JOURNAL_STREAM"] {
            env[key] = nil
        }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// The log file's `device:inode`, as systemd puts it in `JOURNAL_STREAM`.
    static func journalStream(of path: String) -> String {
        var st = stat()
        _ = stat(path, &st)
        return "\(st.st_dev):\(st.st_ino)"
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then the exit status (SIGKILL after `timeout` seconds).
    @discardableResult
    func terminate(timeout: Double = 40) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits for the exit; the status, or nil when it is still running after `timeout` seconds.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Waits until `condition` holds or `timeout` seconds pass.
func eventually(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// Where `python3` is, for the launcher; nil without one.
let python3: String? =
    ["/usr/bin/python3", "/usr/local/bin/python3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    } ?? findInPath("python3")

func findInPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}
