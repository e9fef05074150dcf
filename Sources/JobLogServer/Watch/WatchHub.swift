import JobLogModel
import JobLogStore
import Synchronization

/// Every live subscription. The store calls ``publish(_:)`` on its writer thread
/// after each commit; each matching subscriber gets the events in its own queue.
final class WatchHub: Sendable {
    private struct State {
        var subscriptions: [UInt64: Subscription] = [:]
        var nextID: UInt64 = 0
        /// The same subscriptions grouped by what they want.
        var groups: [Interest: [Subscription]] = [:]
    }

    /// What a subscription wants: like subscriptions get the same events.
    private struct Interest: Hashable {
        let filter: Subscription.Filter
        let minLevel: LogLevel
    }

    private static func interest(_ sub: Subscription) -> Interest {
        Interest(filter: sub.filter, minLevel: sub.minLevel)
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
            s.groups[Self.interest(sub), default: []].append(sub)
            return sub
        }
        updateLogLevel()
        return sub
    }

    func unsubscribe(_ id: UInt64) {
        let sub = state.withLock { s -> Subscription? in
            guard let sub = s.subscriptions.removeValue(forKey: id) else { return nil }
            let key = Self.interest(sub)
            s.groups[key]?.removeAll { $0 === sub }
            if s.groups[key]?.isEmpty == true { s.groups[key] = nil }
            return sub
        }
        sub?.queue.close()
        updateLogLevel()
    }

    var count: Int { state.withLock { $0.subscriptions.count } }

    /// The store describes log entries only down to the lowest level anyone watches.
    private func updateLogLevel() {
        store.logEventLevel = state.withLock { $0.subscriptions.values.map(\.minLevel).min() }
    }

    /// Fans a commit out: its events are wrapped once (one allocation, whatever their number),
    /// filtered once per group of like subscriptions, and each subscriber takes its group's share
    /// with one lock. This runs on the writer thread: it copies no event.
    func publish(_ events: [CommittedEvent]) {
        let groups = state.withLock { Array($0.groups.values) }
        guard !groups.isEmpty, !events.isEmpty else { return }
        let commit = CommitEvents(events)
        for members in groups {
            let chunk: EventChunk
            switch Self.positions(of: events, wantedBy: members[0]) {
            case nil:
                chunk = EventChunk(commit, positions: nil)
            case let positions? where positions.isEmpty:
                continue
            case let positions? where positions.count * 2 >= events.count:
                chunk = EventChunk(commit, positions: positions)
            case let positions?:
                // A group that wants under half of the commit (one run of many) gets a copy of its
                // events: a queue must not keep a whole commit alive for the few it holds (its bounds
                // count only those), or a stalled viewer of a quiet run would pin a busy run's commits.
                chunk = EventChunk(CommitEvents(positions.map { events[$0] }), positions: nil)
            }
            for sub in members { sub.queue.push(chunk) }
        }
    }

    /// The positions of the events `sub` wants; nil when it wants them all (the usual case).
    private static func positions(of events: [CommittedEvent], wantedBy sub: Subscription) -> [Int]? {
        guard let first = events.indices.first(where: { !sub.matches(events[$0]) }) else { return nil }
        var positions = Array(0..<first)
        for i in (first + 1)..<events.count where sub.matches(events[i]) { positions.append(i) }
        return positions
    }
}
