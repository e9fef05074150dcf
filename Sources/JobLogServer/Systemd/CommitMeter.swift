import JobLogStore
import Synchronization

/// Commits per second, measured between two readings of the store's commit count.
final class CommitMeter: Sendable {
    private let store: JobLogStore
    private let last: Mutex<(at: ContinuousClock.Instant, count: Int)>

    init(store: JobLogStore) {
        self.store = store
        last = Mutex((ContinuousClock.now, store.commitCount))
    }

    /// Commits per second since the previous call.
    func rate() -> Double {
        let now = ContinuousClock.now
        let count = store.commitCount
        return last.withLock { previous in
            let elapsed = (now - previous.at).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            let rate = seconds > 0 ? Double(count - previous.count) / seconds : 0
            previous = (now, count)
            return rate
        }
    }
}
