import JobLogModel
import JobLogStore
import Synchronization

/// Every live subscription. The store calls ``publish(_:)`` on its writer thread
/// after each commit; each matching subscriber gets the events in its own queue.
final class WatchHub: Sendable {
    private struct State {
        var subscriptions: [UInt64: Subscription] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    private let store: JobLogStore
    private let stats: ServerStats?

    init(store: JobLogStore, stats: ServerStats? = nil) {
        self.store = store
        self.stats = stats
        store.onCommit { [weak self] events in self?.publish(events) }
    }

    /// A new subscription (not yet delivering).
    func subscribe(_ filter: Subscription.Filter, minLevel: LogLevel, connectionBytes: WatchBytes) -> Subscription {
        let sub = state.withLock { s -> Subscription in
            s.nextID += 1
            let sub = Subscription(
                id: s.nextID, filter: filter, minLevel: minLevel, connectionBytes: connectionBytes, stats: stats)
            s.subscriptions[sub.id] = sub
            return sub
        }
        updateLogLevel()
        return sub
    }

    func unsubscribe(_ id: UInt64) {
        let sub = state.withLock { $0.subscriptions.removeValue(forKey: id) }
        sub?.queue.close()
        updateLogLevel()
    }

    var count: Int { state.withLock { $0.subscriptions.count } }

    /// The store describes log entries only down to the lowest level anyone watches.
    private func updateLogLevel() {
        store.logEventLevel = state.withLock { $0.subscriptions.values.map(\.minLevel).min() }
    }

    /// Fans a commit out: each event is wrapped once, each subscriber takes its share with one lock.
    func publish(_ events: [CommittedEvent]) {
        let subs = state.withLock { Array($0.subscriptions.values) }
        guard !subs.isEmpty else { return }
        let shared = events.map(SharedEvent.init)
        for sub in subs {
            sub.queue.push(shared.filter { sub.matches($0.event) })
        }
    }
}
