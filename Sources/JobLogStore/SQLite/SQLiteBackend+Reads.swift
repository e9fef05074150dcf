import GRDB
import JobLogModel

/// The reads of the SQLite store: short ones on the kept reader, the rest on the pool.
extension SQLiteBackend {
    public func run(_ id: Int64) async throws -> RunRecord? {
        try await shortReader.read { db in
            try Row.fetchOne(db, sql: "SELECT \(RunRow.columns) FROM runs WHERE id = ?", arguments: [id]).map(
                RunRow.record)
        }
    }

    /// Index walks only (see ``LogQuery``), within the read budget.
    public func logs(run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?, beforeId: Int64?)
        async throws -> [LogRecord]?
    {
        let budget = configuration.readBudgetMs
        return try await pool.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run]) != nil else {
                return nil
            }
            return try ReadBudget.run(db, milliseconds: budget) {
                try LogQuery.fetch(
                    db, run: run, minLevel: minLevel, limit: limit, afterId: afterId, beforeId: beforeId)
            }
        }
    }

    public func listRuns(jobName: String?, status: RunStatus?, node: String?, limit: Int, beforeId: Int64?)
        async throws -> [RunRecord]
    {
        try await shortReader.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let jobName {
                clauses.append("job_name = ?")
                arguments += [jobName]
            }
            if let status {
                clauses.append("status = ?")
                arguments += [status.rawValue]
            }
            if let node {
                clauses.append("node = ?")
                arguments += [node]
            }
            if let beforeId {
                clauses.append("id < ?")
                arguments += [beforeId]
            }
            let whereClause = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
            arguments += [limit]
            return try Row.fetchAll(
                db, sql: "SELECT \(RunRow.columns) FROM runs\(whereClause) ORDER BY id DESC LIMIT ?",
                arguments: arguments
            ).map(RunRow.record)
        }
    }

    public func runningRuns() async throws -> [RunOwner] {
        try await shortReader.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(RunRow.ownerColumns), job_name, started_at, stage, stalled_since, stall_after_ms, slow
                    FROM runs WHERE status = 'RUNNING'
                    """
            ).map { row in
                var owner = RunRow.owner(row)
                owner.jobName = row["job_name"]
                owner.startedAt = Timestamp(milliseconds: row["started_at"])
                owner.currentStage = row["stage"]
                owner.stalledSince = (row["stalled_since"] as Int64?).map(Timestamp.init(milliseconds:))
                owner.stallAfterMs = row["stall_after_ms"]
                owner.slow = row["slow"]
                return owner
            }
        }
    }

    public func runningOwner(of id: Int64) async throws -> RunOwner? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(RunRow.ownerColumns) FROM runs WHERE id = ? AND status = 'RUNNING'", arguments: [id]
            ).map(RunRow.owner)
        }
    }

    public func runningCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE status = 'RUNNING'") ?? 0
        }
    }

    public func integrityCheck() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    public func searchLogs(_ filter: LogSearchFilter) async throws -> [SearchedLog]? {
        try await pool.read { db in
            if let run = filter.runID,
                try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run]) == nil
            {
                return nil
            }
            return try LogSearch(filter: filter).run(db)
        }
    }
}
