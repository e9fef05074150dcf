/// The other nodes as the last lease renewal saw them: enough to know that no lease can have
/// expired yet, without a transaction.
struct LeaseView: Sendable {
    /// The database's clock at the renewal, ms since the epoch.
    var databaseNowMs: Int64
    /// The oldest heartbeat among the other nodes not reaped at it; nil when there is none.
    var oldestOtherMs: Int64?
    /// When the renewal answered (this host's clock).
    var at: ContinuousClock.Instant
    /// A view older than this is not trusted (renewals happen every second).
    static let maxAge: Duration = .seconds(3)

    /// False only when the view is fresh and no other node's lease can be older than `leaseMs` now.
    func mayHaveExpired(leaseMs: Int64, now: ContinuousClock.Instant = .now) -> Bool {
        let age = now - at
        guard age < Self.maxAge else { return true }
        guard let oldestOtherMs else { return false }
        let (seconds, attoseconds) = age.components
        let ageMs = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return databaseNowMs + ageMs - oldestOtherMs > leaseMs
    }
}
