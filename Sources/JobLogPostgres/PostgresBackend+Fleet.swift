import JobLogModel
import JobLogStore
import Logging
import PostgresNIO

/// Several daemons on one database (issue 17): run rows shared between writers, node leases.
///
/// Each daemon holds a lease, its row in `nodes`: taken when the store opens (before the daemon
/// accepts a client, so no run of it exists under an expired lease), renewed every second by the
/// liveness reaper through the pool. Times are the database's clock (hosts' clocks may differ).
/// A node whose heartbeat is older than a judging daemon's `--node-lease-ms` has its RUNNING runs
/// abandoned by that daemon; the node row stays locked (`FOR UPDATE SKIP LOCKED`) while it does,
/// so two daemons never work on one node at once, and a restarting daemon waits for the end of
/// that work before it takes its lease again.
extension PostgresBackend {
    /// The database's clock in ms since the epoch.
    static let nowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
    /// RUNNING runs of an expired node abandoned per pass (the rest in the next passes).
    static let runsReapedPerPass: Int64 = 10_000

    public var sharesRuns: Bool { true }

    /// A deadlock (`40P01`) or a serialization failure (`40001`): the transaction lost a race with
    /// another daemon's and may run again.
    public func isTransientConflict(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError, let state = e.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// Takes (or takes back) the node's lease at start. The runs another daemon abandoned while
    /// this node's lease had expired stay ABANDONED: a finished run takes no more writes. Not
    /// listening yet: the watch feed says so once it has watchers (a daemon killed while it had
    /// some left the flag set).
    static func takeLease(_ node: String, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO nodes (name, started_at, heartbeat_at)
            VALUES (\(node), \(unescaped: nowMs), \(unescaped: nowMs))
            ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
                listening = false
            """, logger: logger)
    }

    /// One heartbeat of this node (through the pool, not the writer's connection). The same
    /// statement reads the oldest heartbeat of the other nodes not yet reaped, so that
    /// ``reapExpiredNodes(leaseMs:_:)`` opens its transaction only when a lease may have expired.
    public func renewLease() async throws {
        guard let nodeName else { return }
        do {
            let rows = try await read(
                """
                WITH renewed AS (
                    INSERT INTO nodes (name, started_at, heartbeat_at)
                    VALUES (\(nodeName), \(unescaped: Self.nowMs), \(unescaped: Self.nowMs))
                    ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                    RETURNING heartbeat_at
                )
                SELECT (SELECT heartbeat_at FROM renewed),
                    (SELECT min(heartbeat_at) FROM nodes
                     WHERE name <> \(nodeName) AND reaped_at IS DISTINCT FROM heartbeat_at)
                """)
            let (now, oldest) = try rows.first?.decode((Int64, Int64?).self) ?? (Int64(0), nil)
            leaseView.withLock { $0 = LeaseView(databaseNowMs: now, oldestOtherMs: oldest, at: .now) }
        } catch {
            leaseView.withLock { $0 = nil }
            throw error
        }
    }

    /// In one transaction of a pooled connection: the expired nodes not yet reaped at their last
    /// heartbeat, locked and skipping those another daemon holds; for each, its RUNNING runs go to
    /// `abandon` (which waits for this daemon's writer to commit the abandons), then the node is
    /// marked reaped at that heartbeat once none is left RUNNING. A node that takes its lease again
    /// has a newer heartbeat and is judged afresh if it stops again.
    public func reapExpiredNodes(leaseMs: Int64, _ abandon: @Sendable (ExpiredNode) async -> Void) async throws
        -> [ExpiredNode]
    {
        guard let nodeName else { return [] }
        if let view = leaseView.withLock({ $0 }), !view.mayHaveExpired(leaseMs: leaseMs) { return [] }
        let logger = logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                var handled: [ExpiredNode] = []
                let expired = try await connection.query(
                    """
                    SELECT name, heartbeat_at FROM nodes
                    WHERE name <> \(nodeName) AND heartbeat_at < \(unescaped: Self.nowMs) - \(leaseMs)
                        AND reaped_at IS DISTINCT FROM heartbeat_at
                    ORDER BY name FOR UPDATE SKIP LOCKED
                    """, logger: logger
                ).collect().map { try $0.decode((String, Int64).self) }
                for (name, heartbeat) in expired {
                    let runs = try await connection.query(
                        """
                        SELECT id FROM runs WHERE node = \(name) AND status = 'RUNNING'
                        ORDER BY id LIMIT \(Self.runsReapedPerPass)
                        """, logger: logger
                    ).collect().map { try $0.decode(Int64.self) }
                    let node = ExpiredNode(name: name, heartbeatAt: Timestamp(milliseconds: heartbeat), runs: runs)
                    if !runs.isEmpty {
                        await abandon(node)
                        handled.append(node)
                    }
                    let left =
                        try await connection.query(
                            "SELECT count(*) FROM runs WHERE node = \(name) AND status = 'RUNNING'", logger: logger
                        ).collect().first?.decode(Int64.self) ?? 0
                    if left == 0 {
                        try await connection.query(
                            "UPDATE nodes SET reaped_at = heartbeat_at, listening = false WHERE name = \(name)",
                            logger: logger)
                    }
                }
                return handled
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable(PostgresStoreError.reason(error))
        }
    }
}
