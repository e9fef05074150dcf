import JobLogStore
import Logging
import ServiceLifecycle

/// Keeps the store open for the daemon's life; on shutdown (after the server
/// has stopped) commits everything queued and closes the database.
public struct StoreService: Service {
    let store: JobLogStore
    let logger: Logger

    public init(store: JobLogStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        store.close()
        logger.info("store closed: everything received is committed")
    }
}
