import Logging
import ServiceLifecycle

/// Tells the service manager how the daemon is doing, as a lifecycle `Service`: `READY=1`
/// once the server listens (the store is opened before any service runs), a `STATUS=` line
/// every ``interval`` (connections, running runs, commits per second), and `STOPPING=1` as
/// soon as a graceful shutdown begins. Run it after the server in the group, so that it is
/// the first service told to stop.
public struct ServiceStatusReporter: Service {
    let notifier: ServiceNotifier
    let interval: Duration
    let listening: AsyncStream<Void>
    let status: @Sendable () async -> String
    let logger: Logger

    /// `listening` yields once the JSON-RPC socket accepts connections.
    public init(
        notifier: ServiceNotifier, interval: Duration, listening: AsyncStream<Void>,
        status: @escaping @Sendable () async -> String, logger: Logger
    ) {
        self.notifier = notifier
        self.interval = interval
        self.listening = listening
        self.status = status
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                var ready = false
                for await _ in listening {
                    ready = true
                    break
                }
                guard ready, !Task.isCancelled else { return }
                notifier.send("READY=1\nSTATUS=\(await status())")
                logger.debug("service manager told: ready")
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    notifier.send("STATUS=\(await status())")
                }
            }
        } onGracefulShutdown: {
            notifier.send("STOPPING=1\nSTATUS=stopping: answering what was read, committing the rest")
        }
    }
}
