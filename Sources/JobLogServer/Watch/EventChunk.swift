/// The events of one commit that one group of like subscriptions wants (same filter, same
/// lowest level): filtered once per commit and shared, by reference, by every queue of the group.
final class EventChunk: Sendable {
    let events: [SharedEvent]
    /// The estimated bytes of all the events.
    let cost: Int
    /// Whether a progress event is among them (those coalesce per run in each queue).
    let hasProgress: Bool

    init(_ events: [SharedEvent]) {
        self.events = events
        var cost = 0
        var hasProgress = false
        for e in events {
            cost += e.cost
            if case .progress = e.event.kind { hasProgress = true }
        }
        self.cost = cost
        self.hasProgress = hasProgress
    }
}
