import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `joblogd` process on a temporary socket and database, as clients see it.
public final class TestDaemon: @unchecked Sendable {
    public let directory: String
    public let socketPath: String
    public let databasePath: String
    public let logPath: String
    public private(set) var process: Process?
    public let extraArguments: [String]

    /// The package root, from this file's path.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The binary under test: `$JOBLOGD_BIN`, else `.build/debug/joblogd`.
    public static var binary: String {
        if let b = ProcessInfo.processInfo.environment["JOBLOGD_BIN"], !b.isEmpty { return b }
        return packageRoot + "/.build/debug/joblogd"
    }

    /// Shell commands run before the daemon is exec'd in their shell (`ulimit -n 256`, say).
    public let preamble: String?

    /// The store backend of the end-to-end suites: `JOBLOG_TEST_STORE=postgres` runs every daemon
    /// on PostgreSQL (a fresh database of ``PostgresCluster`` each, `--store URL`; `--db` then
    /// names only the lock file); anything else, SQLite at ``databasePath``.
    public static let onPostgres = ProcessInfo.processInfo.environment["JOBLOG_TEST_STORE"] == "postgres"

    /// The reason of the skip trait of suites that test SQLite itself (its file, its faults).
    public static let sqliteOnlyReason = "tests the SQLite file; the suites run with JOBLOG_TEST_STORE=postgres skip it"

    /// The PostgreSQL database of this daemon (kept across restarts), when ``onPostgres``.
    public let storeURL: String?
    /// This daemon made ``storeURL`` (and drops it at the end); false when it shares another's.
    private let ownsDatabase: Bool

    /// `databasePath` puts the database elsewhere than in `directory` (on a small file system, say).
    public init(
        arguments: [String] = [], directory: String? = nil, databasePath: String? = nil, preamble: String? = nil
    ) throws {
        let dir =
            directory ?? (FileManager.default.temporaryDirectory.path + "/joblogd-test-" + UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.directory = dir
        socketPath = dir + "/sock"
        self.databasePath = databasePath ?? dir + "/db.sqlite"
        logPath = dir + "/daemon.log"
        if Self.onPostgres, !arguments.contains("--store") {
            // A daemon made in another's directory shares its store, as the SQLite file there.
            let urlFile = dir + "/store-url"
            if let shared = try? String(contentsOfFile: urlFile, encoding: .utf8) {
                storeURL = shared
                ownsDatabase = false
            } else {
                storeURL = try PostgresCluster.makeDatabase()
                ownsDatabase = true
                try storeURL?.write(toFile: urlFile, atomically: true, encoding: .utf8)
            }
            let url = storeURL ?? ""
            extraArguments = arguments + ["--store", url]
        } else {
            storeURL = nil
            ownsDatabase = false
            extraArguments = arguments
        }
        self.preamble = preamble
        try start()
    }

    /// Starts (or restarts) the daemon on the same socket and database; waits until it answers.
    public func start() throws {
        let p = Process()
        // No HTTP unless a test asks for it: daemons run in parallel and would race for port 7370.
        let http = extraArguments.contains("--http") ? [] : ["--http", "off"]
        let arguments = ["--socket", socketPath, "--db", databasePath, "--log-level", "debug"] + http + extraArguments
        if let preamble {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", preamble + #" && exec "$0" "$@""#, Self.binary] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: Self.binary)
            p.arguments = arguments
        }
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        p.standardError = log
        p.standardOutput = log
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let c = try? LineClient(path: socketPath) {
                c.close()
                return
            }
            if !p.isRunning { break }
            usleep(20_000)
        }
        throw TestFailure("joblogd did not start: \(daemonLog())")
    }

    public var pid: Int32 { process?.processIdentifier ?? 0 }

    /// SIGKILL: no shutdown at all.
    public func kill9() {
        guard let p = process else { return }
        // Not after it exited: its pid may name another test's process by now (pid_max is 32768 here).
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
    }

    /// SIGTERM and wait for the exit; returns the exit status.
    @discardableResult
    public func terminate() -> Int32 {
        guard let p = process else { return 0 }
        if p.isRunning { kill(p.processIdentifier, SIGTERM) }
        p.waitUntilExit()
        process = nil
        return p.terminationStatus
    }

    public func connect() throws -> LineClient { try LineClient(path: socketPath) }

    public func daemonLog() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if let p = process, p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        // Its database goes with it (a CI run makes hundreds; the cluster is on /tmp).
        if ownsDatabase, let url = storeURL, let base = PostgresCluster.baseURL,
            let name = url.split(separator: "/").last
        {
            _ = try? PostgresCluster.query(url: base + "/postgres", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
