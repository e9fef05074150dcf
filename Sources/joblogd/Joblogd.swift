import ArgumentParser
import Foundation
import JobLogHTTP
import JobLogServer
import JobLogStore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `joblogd`: the reporting sidecar. Arguments, logging, wiring; nothing else.
@main
struct Joblogd: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "joblogd",
        abstract: "Serve the JobLogger API (JSON-RPC 2.0, one message per line) on a Unix socket, stored in SQLite.",
        version: version)

    @Option(
        help:
            "Unix socket path (env JOBLOG_SOCKET; default $XDG_RUNTIME_DIR/joblogd.sock, else /tmp/joblogd-<uid>.sock)."
    )
    var socket: String?

    @Option(
        help:
            "SQLite database path (env JOBLOG_DB; default $XDG_DATA_HOME/joblogd/joblog.sqlite, else ~/.local/share/joblogd/joblog.sqlite)."
    )
    var db: String?

    @Option(help: "Permission bits of the socket file, in octal.")
    var socketMode: String = "600"

    @Option(help: "Longest accepted line in bytes (longer lines get a 'line too long' error).")
    var maxLineBytes: Int = 1 << 20

    @Option(help: "Longest time a notification waits before it is committed, in milliseconds.")
    var flushIntervalMs: Int = 50

    @Option(help: "Durability: 'normal' survives a crash of the daemon, 'full' also a power loss.")
    var sync: String = "normal"

    @Option(help: "Connections past this get an error line and are closed (fewer when file descriptors are short).")
    var maxConnections: Int = 1024

    @Option(help: "Keep at most this many log entries per run (debug dropped first, then info).")
    var maxLogsPerRun: Int64?

    @Option(help: "Members of this group (name or gid) may prune runs, besides root and the daemon's user.")
    var adminGroup: String?

    @Option(help: "Delete runs finished more than N days ago (checked at start and every hour).")
    var retainDays: Int64?

    @Option(help: "How often the liveness reaper checks RUNNING runs, in milliseconds.")
    var livenessIntervalMs: Int = 1000

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @OptionGroup var httpOptions: HTTPOptions

    func validate() throws {
        guard UInt32(socketMode, radix: 8) != nil else {
            throw ValidationError("--socket-mode must be octal, like 600 or 660")
        }
        guard maxLineBytes >= 1024 else { throw ValidationError("--max-line-bytes must be at least 1024") }
        guard (1...10_000).contains(flushIntervalMs) else {
            throw ValidationError("--flush-interval-ms must be 1...10000")
        }
        guard sync == "normal" || sync == "full" else { throw ValidationError("--sync must be 'normal' or 'full'") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        if let maxLogsPerRun, maxLogsPerRun < 1 { throw ValidationError("--max-logs-per-run must be at least 1") }
        if let adminGroup, Permissions.groupID(adminGroup) == nil { throw ValidationError("no group \(adminGroup)") }
        if let retainDays, retainDays < 0 { throw ValidationError("--retain-days must be at least 0") }
        guard livenessIntervalMs >= 10 else { throw ValidationError("--liveness-interval-ms must be at least 10") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "joblogd")
        let environment = ProcessInfo.processInfo.environment

        let databasePath = db ?? Self.defaultDatabasePath(environment)
        var storeConfiguration = StoreConfiguration(path: databasePath)
        storeConfiguration.syncFull = sync == "full"
        storeConfiguration.flushIntervalMs = flushIntervalMs
        storeConfiguration.maxLogsPerRun = maxLogsPerRun
        storeConfiguration.trustedUids = [0, getuid()]

        var serverConfiguration = ServerConfiguration(
            socketPath: socket ?? ServerConfiguration.defaultSocketPath(environment: environment), version: Self.version
        )
        serverConfiguration.socketMode = UInt32(socketMode, radix: 8) ?? 0o600
        serverConfiguration.maxLineBytes = maxLineBytes
        serverConfiguration.maxConnections = Self.connectionLimit(maxConnections, logger: logger)
        serverConfiguration.permissions = Permissions(
            trustedUids: storeConfiguration.trustedUids, adminGroup: adminGroup.flatMap(Permissions.groupID))

        var options = JobLogDaemon.Options(store: storeConfiguration, server: serverConfiguration)
        options.livenessInterval = .milliseconds(livenessIntervalMs)
        options.retainDays = retainDays
        if let http = httpOptions.configuration(databasePath: databasePath) {
            options.moreServices.append { server, store in
                HTTPService(configuration: http, server: server, store: store, logger: logger)
            }
        }
        do {
            try await JobLogDaemon.run(options, logger: logger)
        } catch {
            logger.critical("joblogd stopped", metadata: ["error": "\(error)"])
            switch error {
            case .storeUnavailable: throw ExitCode(2)
            case .cannotListen: throw ExitCode(3)
            case .stopped: throw ExitCode(1)
            }
        }
    }

    /// Descriptors kept for the store, the listener and refusing one connection past the limit.
    static let reservedDescriptors = 64

    /// Raises the soft descriptor limit (up to the hard one) so that `wanted` connections fit.
    /// When they cannot, fewer are accepted: a connection past the limit then gets its
    /// `too many connections` line instead of waiting unanswered for a descriptor.
    static func connectionLimit(_ wanted: Int, logger: Logger) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return wanted }
        // RLIM_INFINITY is the largest value: min and < treat it as unlimited.
        let needed = rlim_t(min(wanted, 1 << 30) + reservedDescriptors)
        if limit.rlim_cur < needed {
            var raised = limit
            raised.rlim_cur = min(needed, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur < needed else { return wanted }
        let fits = max(1, Int(limit.rlim_cur) - reservedDescriptors)
        logger.warning(
            "too few file descriptors for --max-connections",
            metadata: [
                "maxConnections": "\(wanted)", "descriptorLimit": "\(limit.rlim_cur)", "accepting": "\(fits)",
            ])
        return fits
    }

    static func defaultDatabasePath(_ environment: [String: String]) -> String {
        if let p = environment["JOBLOG_DB"], !p.isEmpty { return p }
        if let d = environment["XDG_DATA_HOME"], !d.isEmpty { return d + "/joblogd/joblog.sqlite" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/joblogd/joblog.sqlite"
    }
}
