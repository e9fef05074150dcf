import JobLogModel
import JobLogStore
import Logging
import ServiceLifecycle

/// Forgets client sessions (`hello`) idle for more than the session TTL (`--session-ttl`):
/// at start and then every quarter of the TTL (at most hourly), through the writer.
public struct SessionSweeper: Service {
    let store: JobLogStore
    let ttl: Duration
    let logger: Logger

    public init(store: JobLogStore, ttl: Duration, logger: Logger) {
        self.store = store
        self.ttl = ttl
        self.logger = logger
    }

    /// How often to sweep: a quarter of the TTL, between 1 s and 1 h.
    var interval: Duration { min(max(ttl / 4, .seconds(1)), .seconds(3600)) }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One sweep: deletes the sessions untouched for longer than the TTL.
    func sweep() async {
        let ms = ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000
        let before = Timestamp(milliseconds: Timestamp.now().milliseconds - ms)
        if case .forgotten(let n) = await store.write(.forgetSessions(before: before)), n > 0 {
            logger.debug("forgot idle sessions", metadata: ["count": "\(n)"])
        }
    }
}
