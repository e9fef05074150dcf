import ArgumentParser
import JobLogPostgres
import JobLogServer
import Logging

extension Joblogd {
    /// Logs for the journal (`<N>` priorities) when stderr is one, else the usual stderr format.
    static func bootstrapLogging(level: Logger.Level, environment: [String: String]) {
        let journal = JournalLogHandler.stderrIsJournal(environment: environment)
        LoggingSystem.bootstrap { label in
            if journal {
                var handler = JournalLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Socket activation and readiness: takes the JSON-RPC socket systemd passed (if any) and
    /// links to its notification socket. Without those variables, changes nothing.
    static func applyServiceManager(
        environment: [String: String], statusInterval: Duration, options: inout JobLogDaemon.Options,
        logger: Logger
    ) throws {
        if let activation = SocketActivation(environment: environment) {
            guard let fd = activation.jsonRPCSocket() else {
                let names = activation.passed.map(\.name).joined(separator: ",")
                logger.critical(
                    "socket activation passed no listening Unix stream socket for JSON-RPC",
                    metadata: ["names": "\(names)"])
                throw ExitCode(3)
            }
            options.server.inheritedSocket = fd
            let path = SocketActivation.path(of: fd)
            options.server.socketPath = path.isEmpty ? "fd:\(fd)" : path
        }
        options.serviceManager = ServiceManagerLink(environment: environment)
        options.serviceManager?.statusInterval = statusInterval
    }
}

extension Joblogd {
    /// With `--store postgres://…`: the cross-node watch feed (``PostgresWatchFeed``) as a service,
    /// so watchers here see what the other daemons on the database commit. SQLite: nothing.
    static func addCrossNodeWatch(
        _ storeOptions: StoreOptions, environment: [String: String], to options: inout JobLogDaemon.Options,
        logger: Logger
    ) throws {
        guard let url = try storeOptions.postgresURL(environment: environment) else { return }
        let node = options.store.nodeName
        options.moreServices.append { server, store in
            CrossNodeWatchService(
                feed: PostgresWatchFeed(
                    url: url, node: node, store: store, logger: logger, watching: { server.hasWatchers }
                ) { events, own in
                    server.publishRemote(events, ownRuns: own)
                })
        }
    }
}
