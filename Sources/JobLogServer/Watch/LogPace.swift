/// At most so many log entries a second for one subscription of a live view (the HTTP
/// transports): a token bucket holding up to a second's worth. Entries over it are dropped,
/// oldest first, and told to the subscriber as `lagged` (with `resumeAfterId`, so a view reads
/// them from the store if it wants them); every other event passes.
struct LogPace: Sendable {
    let perSecond: Int
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(perSecond: Int, now: ContinuousClock.Instant = .now) {
        self.perSecond = perSecond
        tokens = Double(perSecond)
        last = now
    }

    /// Whether the bucket is empty: the caller waits a tenth of a second before its next take.
    var exhausted: Bool { tokens < 1 }

    /// Removes the log entries over the budget from `events`; returns how many.
    mutating func thin(_ events: inout [SharedEvent], now: ContinuousClock.Instant = .now) -> Int64 {
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(Double(perSecond), tokens + seconds * Double(perSecond))
        var logs = 0
        for e in events { if case .log = e.event.kind { logs += 1 } }
        let allowed = Int(tokens)
        guard logs > allowed else {
            tokens -= Double(logs)
            return 0
        }
        var excess = logs - allowed
        let dropped = excess
        events.removeAll { e in
            guard excess > 0, case .log = e.event.kind else { return false }
            excess -= 1
            return true
        }
        tokens -= Double(allowed)
        return Int64(dropped)
    }
}
