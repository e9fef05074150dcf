import ArgumentParser
import Foundation
import JobLogHTTP
import JobLogModel
import JobLogProtocol
import JobLogServer
import JobLogStore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `joblogd`: the reporting sidecar. Arguments, logging, wiring; nothing else.
@main
struct Joblogd: AsyncParsableCommand {
    static let version = JobLogVersion.string

    static let configuration = CommandConfiguration(
        commandName: "joblogd",
        abstract: "Serve the JobLogger API (JSON-RPC 2.0, one message per line) on a Unix socket, stored in SQLite.",
        version: version,
        subcommands: [CopyStoreCommand.self])

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

    @Option(
        help:
            "Connections one uid other than root may hold (default: three quarters of --max-connections; a few are always kept for root and the daemon's user)."
    )
    var maxConnectionsPerUid: Int?

    @Option(help: "Bytes of answers one connection may be owed or have unread; past it, answers are errors.")
    var maxPendingBytes: Int = 64 << 20

    @Option(help: "Keep at most this many log entries per run (debug dropped first, then info).")
    var maxLogsPerRun: Int64?

    @Option(help: "Members of this group (name or gid) may prune runs, besides root and the daemon's user.")
    var adminGroup: String?

    @Option(help: "Delete runs finished more than N days ago (checked at start and every hour).")
    var retainDays: Int64?

    @Option(help: "Forget a client session (hello) idle for more than this many seconds (default: 24 h).")
    var sessionTtl: Int64 = 86_400

    @Option(help: "How often the liveness reaper checks RUNNING runs, in milliseconds.")
    var livenessIntervalMs: Int = 1000

    @Option(help: "Flag a RUNNING run stalled after this long without progress (at least 10× its usual gap), in ms.")
    var stallMinMs: Int64 = 300_000

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(help: "This daemon's name, recorded as the node of every run it starts (default: the host name).")
    var nodeName: String?

    @Option(
        help:
            "With --store postgres://: another node silent for longer than this has its RUNNING runs abandoned, in milliseconds."
    )
    var nodeLeaseMs: Int64 = 30_000

    @OptionGroup var httpOptions: HTTPOptions

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Under systemd (NOTIFY_SOCKET): how often a STATUS= line is sent, in milliseconds.")
    var statusIntervalMs: Int = 5000

    /// Every numeric option's range, checked before anything starts: no option value may make
    /// arithmetic trap later (a retention of 2^63 days overflowed the cutoff computation).
    func validate() throws {
        guard let mode = UInt32(socketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--socket-mode must be octal permission bits, like 600 or 660")
        }
        try Self.check("--max-line-bytes", maxLineBytes, 1024...(256 << 20))
        try Self.check("--flush-interval-ms", flushIntervalMs, 1...10_000)
        guard sync == "normal" || sync == "full" else { throw ValidationError("--sync must be 'normal' or 'full'") }
        try Self.check("--max-connections", maxConnections, 1...1_000_000)
        if let maxConnectionsPerUid { try Self.check("--max-connections-per-uid", maxConnectionsPerUid, 1...1_000_000) }
        try Self.check("--max-pending-bytes", maxPendingBytes, 65_536...(1 << 40))
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        if let maxLogsPerRun { try Self.check("--max-logs-per-run", maxLogsPerRun, 1...(1 << 40)) }
        if let adminGroup, Permissions.groupID(adminGroup) == nil { throw ValidationError("no group \(adminGroup)") }
        if let retainDays { try Self.check("--retain-days", retainDays, 0...100_000) }
        try Self.check("--liveness-interval-ms", livenessIntervalMs, 10...3_600_000)
        try Self.check("--session-ttl", sessionTtl, 1...315_360_000)
        try Self.check("--stall-min-ms", stallMinMs, 1...(30 * 86_400_000))
        try Self.check("--status-interval-ms", statusIntervalMs, 100...3_600_000)
        try Self.check("--node-lease-ms", nodeLeaseMs, 3000...86_400_000)
        if let nodeName, nodeName.isEmpty || nodeName.utf8.count > 200 {
            throw ValidationError("--node-name must be 1 to 200 bytes (got \(nodeName.utf8.count))")
        }
    }

    static func check<T: BinaryInteger>(_ name: String, _ value: T, _ range: ClosedRange<T>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let environment = ProcessInfo.processInfo.environment
        Self.bootstrapLogging(level: level, environment: environment)
        let logger = Logger(label: "joblogd")

        let databasePath = db ?? Self.defaultDatabasePath(environment)
        var storeConfiguration = StoreConfiguration(path: databasePath)
        storeConfiguration.syncFull = sync == "full"
        storeConfiguration.flushIntervalMs = flushIntervalMs
        storeConfiguration.maxLogsPerRun = maxLogsPerRun
        if let nodeName { storeConfiguration.nodeName = nodeName }
        storeConfiguration.permissions = .standard(adminGroup: adminGroup.flatMap(Permissions.groupID))

        var serverConfiguration = ServerConfiguration(
            socketPath: socket ?? ServerConfiguration.defaultSocketPath(environment: environment), version: Self.version
        )
        serverConfiguration.socketMode = UInt32(socketMode, radix: 8) ?? 0o600
        serverConfiguration.maxLineBytes = maxLineBytes
        serverConfiguration.maxPendingBytes = maxPendingBytes
        serverConfiguration.maxConnections = Self.connectionLimit(maxConnections, logger: logger)
        serverConfiguration.maxConnectionsPerUid = maxConnectionsPerUid

        var options = JobLogDaemon.Options(store: storeConfiguration, server: serverConfiguration)
        options.livenessInterval = .milliseconds(livenessIntervalMs)
        options.stallMinMs = stallMinMs
        options.nodeLeaseMs = nodeLeaseMs
        options.retainDays = retainDays
        options.sessionTTL = .seconds(sessionTtl)
        options.openStore = try storeOptions.opener(environment: environment)
        try Self.addCrossNodeWatch(storeOptions, environment: environment, to: &options, logger: logger)
        try Self.applyServiceManager(
            environment: environment, statusInterval: .milliseconds(statusIntervalMs), options: &options, logger: logger
        )
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
