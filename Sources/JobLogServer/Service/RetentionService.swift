import Logging
import ServiceLifecycle

/// Retention: finishes a prune that a crash interrupted (always, once at start) and, with
/// `--retain-days N`, prunes runs finished more than N days ago, at start and every hour.
public struct RetentionService: Service {
    let pruner: Pruner
    let days: Int64?
    let interval: Duration

    public init(pruner: Pruner, days: Int64?, interval: Duration = .seconds(3600)) {
        self.pruner = pruner
        self.days = days
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            guard let days else {
                await pruner.finishInterrupted()
                try? await gracefulShutdown()
                return
            }
            while !Task.isCancelled {
                _ = await pruner.prune(olderThanDays: days, status: nil)
                try? await Task.sleep(for: interval)
            }
        }
    }
}
