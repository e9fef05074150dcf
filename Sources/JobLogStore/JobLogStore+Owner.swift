import GRDB
import JobLogModel

extension JobLogStore {
    /// The owner facts of one RUNNING run (pid, its recorded start time), nil when it is not RUNNING.
    public func runningOwner(of id: Int64) async throws -> RunOwner? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT id, owner_pid, owner_start_time, heartbeat_timeout_ms, last_heartbeat_at
                    FROM runs WHERE id = ? AND status = 'RUNNING'
                    """, arguments: [id]
            ).map { row in
                RunOwner(
                    runID: row[0], pid: row[1], startTime: row[2], heartbeatTimeoutMs: row[3],
                    lastHeartbeatAt: .init(milliseconds: row[4]))
            }
        }
    }
}
