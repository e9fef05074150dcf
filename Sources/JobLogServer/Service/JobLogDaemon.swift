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
        public var retainDays: Int64?
        /// More services that need the server (the HTTP service); stopped before the server.
        public var moreServices: [@Sendable (JobLogServer, JobLogStore) -> any Service] = []

        public init(store: StoreConfiguration, server: ServerConfiguration) {
            self.store = store
            self.server = server
        }
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: the server stops
    /// first, the store last (everything received is committed).
    public static func run(_ options: Options, logger: Logger) async throws(Failure) {
        let store: JobLogStore
        do {
            store = try JobLogStore(configuration: options.store, logger: logger)
        } catch {
            throw .storeUnavailable("\(error)")
        }
        logger.info(
            "store open",
            metadata: ["db": "\(options.store.path)", "sync": "\(options.store.syncFull ? "full" : "normal")"])
        let server = JobLogServer(configuration: options.server, store: store, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StoreService(store: store, logger: logger)),
            .init(service: LivenessReaper(store: store, logger: logger, interval: options.livenessInterval)),
        ]
        if let days = options.retainDays {
            services.append(.init(service: RetentionService(pruner: Pruner(store: store, logger: logger), days: days)))
        }
        // Stopped first on shutdown (reverse order): the HTTP service, the server, then retention and liveness, the store last.
        services.append(
            .init(
                service: server, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup))
        for make in options.moreServices { services.append(.init(service: make(server, store))) }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as SocketFileError {
            throw .cannotListen(error.description)
        } catch {
            throw .stopped("\(error)")
        }
    }
}
