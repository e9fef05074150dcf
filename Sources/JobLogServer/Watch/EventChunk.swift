/// The events of one commit that one group of like subscriptions wants (same filter, same
/// lowest level): filtered once per commit and shared, by reference, by every queue of the group.
final class EventChunk: Sendable {
    let events: [SharedEvent]
    /// The estimated bytes of all the events.
    let cost: Int
    /// Whether a progress event is among them (those coalesce per run in each queue).
    let hasProgress: Bool
    /// How many of them are log entries.
    let logCount: Int

    init(_ events: [SharedEvent]) {
        self.events = events
        var cost = 0
        var hasProgress = false
        var logs = 0
        for e in events {
            cost += e.cost
            if case .progress = e.event.kind { hasProgress = true }
            if e.isLog { logs += 1 }
        }
        self.cost = cost
        self.hasProgress = hasProgress
        logCount = logs
    }
}
