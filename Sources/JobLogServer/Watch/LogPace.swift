/// At most so many log entries a second for one subscription of a live view (the HTTP
/// transports): a token bucket holding up to a second's worth. Entries over it are dropped,
/// oldest first (``EventQueue/take(logBudget:)``), and told to the subscriber as `lagged` (with
/// `resumeAfterId`, so a view reads them from the store if it wants them); every other event passes.
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

    /// The entries that may pass now: the bucket, refilled for the time since it was last asked.
    mutating func available(now: ContinuousClock.Instant = .now) -> Int {
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(Double(perSecond), tokens + seconds * Double(perSecond))
        return Int(tokens)
    }

    /// `n` entries passed (at most ``available(now:)``).
    mutating func spend(_ n: Int) { tokens = max(0, tokens - Double(n)) }
}
