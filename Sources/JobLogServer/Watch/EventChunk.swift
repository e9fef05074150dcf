import JobLogModel

/// The events of one commit that one group of like subscriptions wants (same filter, same
/// lowest level): chosen once per commit and shared, by reference, by every queue of the group.
/// It names the commit's events by position, so choosing them copies none.
final class EventChunk: Sendable {
    let commit: CommitEvents
    /// The positions in the commit of the events wanted, in order; nil: all of them.
    private let positions: [Int]?
    /// How many events.
    let count: Int
    /// The estimated bytes of all the events.
    let cost: Int
    /// Whether a progress event is among them (those coalesce per run in each queue).
    let hasProgress: Bool
    /// How many of them are log entries.
    let logCount: Int

    init(_ commit: CommitEvents, positions: [Int]?) {
        self.commit = commit
        self.positions = positions
        count = positions?.count ?? commit.events.count
        var cost = 0
        var hasProgress = false
        var logs = 0
        for i in 0..<count {
            let e = commit.events[positions?[i] ?? i]
            cost += SharedEvent.estimate(e)
            switch e.kind {
            case .progress: hasProgress = true
            case .log: logs += 1
            default: break
            }
        }
        self.cost = cost
        self.hasProgress = hasProgress
        logCount = logs
    }

    /// All of `events`, as one commit.
    convenience init(_ events: [CommittedEvent]) { self.init(CommitEvents(events), positions: nil) }

    /// The `i`th event wanted.
    subscript(i: Int) -> SharedEvent { SharedEvent(commit, positions?[i] ?? i) }
}
