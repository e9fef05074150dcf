/// Several daemons on one database (a fleet): what the liveness reaper needs of the store.
extension JobLogStore {
    /// Other daemons may write to the same runs (PostgreSQL); false for SQLite.
    public var sharesRuns: Bool { backend.sharesRuns }

    /// Renews this daemon's node lease (a heartbeat); nothing on a store of one daemon.
    public func renewLease() async throws { try await backend.renewLease() }

    /// Claims the other nodes whose lease is older than `leaseMs` (one daemon of the fleet at a
    /// time per node) and calls `abandon` with each node's RUNNING runs; the nodes handled.
    public func reapExpiredNodes(leaseMs: Int64, _ abandon: @Sendable (ExpiredNode) async -> Void) async throws
        -> [ExpiredNode]
    {
        try await backend.reapExpiredNodes(leaseMs: leaseMs, abandon)
    }
}
