import JobLogModel
import JobLogStore
import PostgresNIO

/// The reads of the PostgreSQL store, through the client's pool.
extension PostgresBackend {
    public func run(_ id: Int64) async throws -> RunRecord? {
        try await read("SELECT * FROM runs WHERE id = \(id)").first.map(PostgresRows.run)
    }

    private func exists(_ run: Int64) async throws -> Bool {
        try await !read("SELECT 1 FROM runs WHERE id = \(run)").isEmpty
    }

    /// Without `afterId`: the newest `limit` entries (before `beforeId` when given); with it: the
    /// first `limit` after it. In id order, as on SQLite.
    public func logs(run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?, beforeId: Int64?) async throws
        -> [LogRecord]?
    {
        guard try await exists(run) else { return nil }
        let level = Int64((minLevel ?? .debug).rawValue)
        let query: PostgresQuery
        if let afterId {
            query = """
                SELECT \(unescaped: PostgresRows.logColumns) FROM logs
                WHERE run_id = \(run) AND level >= \(level) AND id > \(afterId)
                ORDER BY id LIMIT \(Int64(limit))
                """
        } else {
            query = """
                SELECT * FROM (
                    SELECT \(unescaped: PostgresRows.logColumns) FROM logs
                    WHERE run_id = \(run) AND level >= \(level) AND id < \(beforeId ?? Int64.max)
                    ORDER BY id DESC LIMIT \(Int64(limit))
                ) page ORDER BY id
                """
        }
        return try await read(query).map(PostgresRows.log)
    }

    public func listRuns(jobName: String?, status: RunStatus?, node: String?, limit: Int, beforeId: Int64?)
        async throws -> [RunRecord]
    {
        try await read(
            """
            SELECT * FROM runs
            WHERE (\(jobName)::text IS NULL OR job_name = \(jobName))
                AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                AND (\(node)::text IS NULL OR node = \(node))
                AND id < \(beforeId ?? Int64.max)
            ORDER BY id DESC LIMIT \(Int64(limit))
            """
        ).map(PostgresRows.run)
    }

    /// Only the runs this daemon's node started: their owners live under this kernel (another
    /// node's pids mean nothing here; its runs are judged by its own daemon, or by its lease).
    public func runningRuns() async throws -> [RunOwner] {
        try await read(
            """
            SELECT \(unescaped: PostgresRows.ownerColumns) FROM runs
            WHERE status = 'RUNNING' AND (\(nodeName)::text IS NULL OR node = \(nodeName)) ORDER BY id
            """
        ).map(PostgresRows.owner)
    }

    /// Nil as well for a run another node started: its pid is not one this daemon may signal.
    public func runningOwner(of id: Int64) async throws -> RunOwner? {
        try await read(
            """
            SELECT \(unescaped: PostgresRows.ownerColumns) FROM runs
            WHERE id = \(id) AND status = 'RUNNING' AND (\(nodeName)::text IS NULL OR node = \(nodeName))
            """
        ).first.map(PostgresRows.owner)
    }

    public func runningCount() async throws -> Int {
        Int(try await read("SELECT count(*) FROM runs WHERE status = 'RUNNING'").first?.decode(Int64.self) ?? 0)
    }

    /// "ok" when the server answers and every log entry belongs to a run or to a pruned run.
    public func integrityCheck() async throws -> String {
        let orphans =
            try await read(
                """
                SELECT count(*) FROM (SELECT DISTINCT run_id FROM logs) l
                WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = l.run_id)
                    AND NOT EXISTS (SELECT 1 FROM pruned_runs p WHERE p.run_id = l.run_id)
                """
            ).first?.decode(Int64.self) ?? 0
        return orphans == 0 ? "ok" : "\(orphans) runs have log entries but no run row"
    }

    public func stages(run: Int64) async throws -> [StageSpan]? {
        guard try await exists(run) else { return nil }
        return try await read(
            """
            SELECT stage, message, started_at, finished_at, progress_start, progress_end
            FROM stages WHERE run_id = \(run) ORDER BY id
            """
        ).map(PostgresRows.stage)
    }
}
