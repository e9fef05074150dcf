import JobLogStore
import Logging
import ServiceLifecycle
import Synchronization

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

/// Commits per second, measured between two readings of the writer's batch count.
final class CommitMeter: Sendable {
    private let store: JobLogStore
    private let last: Mutex<(at: ContinuousClock.Instant, count: Int)>

    init(store: JobLogStore) {
        self.store = store
        last = Mutex((ContinuousClock.now, store.writerBatches))
    }

    /// Commits per second since the previous call.
    func rate() -> Double {
        let now = ContinuousClock.now
        let count = store.writerBatches
        return last.withLock { previous in
            let elapsed = (now - previous.at).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            let rate = seconds > 0 ? Double(count - previous.count) / seconds : 0
            previous = (now, count)
            return rate
        }
    }
}
