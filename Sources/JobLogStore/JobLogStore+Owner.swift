import GRDB
import JobLogModel

extension JobLogStore {
    /// The owner facts of one RUNNING run (pid, its recorded start time), nil when it is not RUNNING.
    public func runningOwner(of id: Int64) async throws -> RunOwner? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT \(RunRow.ownerColumns) FROM runs WHERE id = ? AND status = 'RUNNING'
                    """, arguments: [id]
            ).map(RunRow.owner)
        }
    }
}
