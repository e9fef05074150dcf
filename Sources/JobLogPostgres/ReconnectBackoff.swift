/// When the writer may try again to connect to PostgreSQL after failed attempts: 100 ms after the
/// first failure, doubling up to 5 s. Between attempts a transaction fails at once with the last
/// failure's reason, instead of each batch waiting for a connect that is likely to fail too.
///
/// The writer thread's own (not shared).
struct ReconnectBackoff {
    /// The wait after the first failed attempt.
    static let first: Duration = .milliseconds(100)
    /// The longest wait between two attempts.
    static let maximum: Duration = .seconds(5)

    /// Failed attempts since the last connection was made.
    private(set) var failures = 0
    /// Why the last attempt failed.
    private(set) var lastReason: String?
    private var notBefore: ContinuousClock.Instant?

    /// The wait after `failures` failed attempts in a row.
    static func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = first
        for _ in 1..<min(failures, 16) where delay < maximum { delay *= 2 }
        return min(delay, maximum)
    }

    /// Nil when an attempt may be made now; else the last failure's reason (no attempt now).
    func refusal(at now: ContinuousClock.Instant = .now) -> String? {
        guard let notBefore, now < notBefore else { return nil }
        return lastReason
    }

    /// An attempt failed: the next one waits.
    mutating func failed(_ reason: String, at now: ContinuousClock.Instant = .now) {
        failures += 1
        lastReason = reason
        notBefore = now + Self.delay(afterFailures: failures)
    }

    /// A connection was made: the next failure starts from the first wait again. Returns how many
    /// attempts had failed before it.
    mutating func succeeded() -> Int {
        defer {
            failures = 0
            lastReason = nil
            notBefore = nil
        }
        return failures
    }
}
