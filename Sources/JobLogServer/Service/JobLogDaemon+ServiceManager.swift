import JobLogStore
import Logging
import ServiceLifecycle

extension JobLogDaemon {
    /// The store configuration, with the writer waking often enough to feed the watchdog.
    static func storeConfiguration(_ options: Options) -> StoreConfiguration {
        var configuration = options.store
        if let watchdog = options.serviceManager?.watchdog {
            configuration.heartbeatIntervalMs = max(1, Int(watchdog.pingInterval / .milliseconds(1)))
        }
        return configuration
    }

    /// With a service manager: a stream that yields once the server listens (hooked into
    /// `server.onListening`).
    static func listeningSignal(_ options: Options, server: inout ServerConfiguration) -> AsyncStream<Void>? {
        guard options.serviceManager != nil else { return nil }
        let (listening, listened) = AsyncStream.makeStream(of: Void.self)
        let previous = server.onListening
        server.onListening = {
            previous?()
            listened.yield()
            listened.finish()
        }
        return listening
    }

    /// With a service manager: watchdog pings from the writer's heartbeat, and the reporter
    /// (`READY=1` once `listening` yields, `STATUS=`, `STOPPING=1`), to be run last.
    static func serviceManagerReporter(
        _ options: Options, store: JobLogStore, server: JobLogServer, listening: AsyncStream<Void>?, logger: Logger
    ) -> ServiceStatusReporter? {
        guard let link = options.serviceManager, let listening else { return nil }
        if let watchdog = link.watchdog {
            store.onWriterHeartbeat { watchdog.beat() }
        }
        let meter = CommitMeter(store: store)
        return ServiceStatusReporter(
            notifier: link.notifier, interval: link.statusInterval, listening: listening,
            status: {
                let running = try? await store.runningRuns().count
                return ServiceManagerLink.statusLine(
                    connections: server.connectionCount, runningRuns: running, commitsPerSecond: meter.rate())
            }, logger: logger)
    }
}
