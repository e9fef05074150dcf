import JobLogModel

/// A backend of one daemon alone (SQLite, the in-memory one of the tests): nobody else writes
/// its runs, it has no lease and no other node.
extension StoreBackend {
    public var sharesRuns: Bool { false }
    public func isTransientConflict(_ error: any Error) -> Bool { false }
    public func renewLease() async throws {}
    public func reapExpiredNodes(leaseMs: Int64, _ abandon: @Sendable (ExpiredNode) async -> Void) async throws
        -> [ExpiredNode]
    { [] }
}

/// A node of a fleet whose lease expired, with RUNNING runs it started.
public struct ExpiredNode: Sendable, Equatable {
    /// Its `--node-name`.
    public var name: String
    /// Its last heartbeat (the database's clock).
    public var heartbeatAt: Timestamp
    /// Its RUNNING runs, in id order (at most a bounded number per pass).
    public var runs: [Int64]

    public init(name: String, heartbeatAt: Timestamp, runs: [Int64]) {
        self.name = name
        self.heartbeatAt = heartbeatAt
        self.runs = runs
    }
}
