import JobLogStore
import Logging
import ServiceLifecycle

/// Everything a daemon process runs, wired in dependency order: the store, the
/// liveness reaper, retention when asked, and the socket server. Shared by
/// `joblogd` and the benchmark's in-process daemon, so both run the same code.
public enum JobLogDaemon {
    /// Why a daemon stopped with an error.
    public enum Failure: Error, CustomStringConvertible {
        case storeUnavailable(String)
        case cannotListen(String)
        case stopped(String)

        public var description: String {
            switch self {
            case .storeUnavailable(let why): "cannot open the store: \(why)"
            case .cannotListen(let why): "cannot listen: \(why)"
            case .stopped(let why): "stopped on an error: \(why)"
            }
        }
    }

    /// What to run.
    public struct Options: Sendable {
        public var store: StoreConfiguration
        public var server: ServerConfiguration
        public var livenessInterval: Duration = .seconds(1)
        /// The shortest silence that flags a RUNNING run stalled.
        public var stallMinMs: Int64 = LivenessReaper.defaultStallMinMs
        /// In a fleet: another node's lease older than this has its RUNNING runs abandoned.
        public var nodeLeaseMs: Int64 = LivenessReaper.defaultNodeLeaseMs
        public var retainDays: Int64?
        /// Client sessions (`hello`) idle longer than this are forgotten (`--session-ttl`).
        public var sessionTTL: Duration = .seconds(86_400)
        /// systemd (`NOTIFY_SOCKET`, `WATCHDOG_USEC`), when it started the daemon.
        public var serviceManager: ServiceManagerLink?
        /// More services that need the server (the HTTP service); stopped before the server.
        public var moreServices: [@Sendable (JobLogServer, JobLogStore) -> any Service] = []
        /// Opens the store on another backend than SQLite at `store.path` (`--store postgres://…`).
        public var openStore: (@Sendable (StoreConfiguration, Logger) async throws -> JobLogStore)?

        public init(store: StoreConfiguration, server: ServerConfiguration) {
            self.store = store
            self.server = server
        }
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: the server stops
    /// first, the store last (everything received is committed).
    public static func run(_ options: Options, logger: Logger) async throws(Failure) {
        let lock: StoreLock?
        do {
            lock = try StoreLock.acquire(databasePath: options.store.path, socketPath: options.server.socketPath)
        } catch {
            throw .storeUnavailable(error.description)
        }
        defer { withExtendedLifetime(lock) {} }
        if lock == nil {
            logger.warning(
                "cannot create the store's lock file: another daemon on this database would not be detected",
                metadata: ["db": "\(options.store.path)"])
        }
        let store: JobLogStore
        do {
            if let openStore = options.openStore {
                store = try await openStore(storeConfiguration(options), logger)
            } else {
                store = try JobLogStore(configuration: storeConfiguration(options), logger: logger)
            }
        } catch {
            options.serviceManager?.notifier.send("STATUS=cannot open the store: \(error)")
            throw .storeUnavailable("\(error)")
        }
        logger.info(
            "store open",
            metadata: [
                "db": "\(options.store.path)", "sync": "\(options.store.syncFull ? "full" : "normal")",
                "node": "\(options.store.nodeName)",
            ])
        var serverConfiguration = options.server
        let listening = listeningSignal(options, server: &serverConfiguration)
        let server = JobLogServer(configuration: serverConfiguration, store: store, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StoreService(store: store, logger: logger)),
            .init(
                service: LivenessReaper(
                    store: store, logger: logger, interval: options.livenessInterval, stallMinMs: options.stallMinMs,
                    nodeLeaseMs: options.nodeLeaseMs)),
            .init(service: SignalService(store: store, server: server, logger: logger)),
        ]
        services.append(
            .init(
                service: RetentionService(pruner: server.pruner, days: options.retainDays)))
        services.append(.init(service: SessionSweeper(store: store, ttl: options.sessionTTL, logger: logger)))
        // Stopped first on shutdown (reverse order): the HTTP service, the server, then retention and liveness, the store last.
        services.append(
            .init(
                service: server, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup))
        for make in options.moreServices { services.append(.init(service: make(server, store))) }
        // Last, so stopped first: STOPPING=1 goes out as soon as shutdown begins.
        if let reporter = serviceManagerReporter(
            options, store: store, server: server, listening: listening, logger: logger)
        {
            services.append(.init(service: reporter))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint, .sigquit], logger: logger))
        do {
            try await group.run()
        } catch let error as SocketFileError {
            throw .cannotListen(error.description)
        } catch {
            throw .stopped("\(error)")
        }
    }
}
