import JobLogPostgres
import ServiceLifecycle

/// Runs the cross-node watch feed in the daemon's service group until shutdown.
struct CrossNodeWatchService: Service {
    let feed: PostgresWatchFeed

    func run() async throws {
        await cancelWhenGracefulShutdown { await feed.run() }
    }
}
