import GRDB
import JobLogModel

/// A write transaction on the SQLite store: the SQL of each effect, on the writer's connection,
/// with the statements the hot path needs prepared once per connection.
public final class SQLiteTransaction: StoreTransaction {
    private let db: Database
    private let inserter: LogInserter
    private let updater: RunUpdater

    init(_ db: Database) throws {
        self.db = db
        inserter = try LogInserter(db)
        updater = try RunUpdater(db)
    }

    public func loadRun(_ id: Int64) throws -> RunRecord? {
        try Row.fetchOne(db, sql: "SELECT \(RunRow.columns) FROM runs WHERE id = ?", arguments: [id]).map(
            RunRow.record)
    }

    public func insertRun(_ new: NewRun, at now: Timestamp) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO runs (job_name, status, trigger, scope, algorithm_version, params, started_at,
                    last_heartbeat_at, owner_pid, owner_uid, owner_start_time, heartbeat_timeout_ms, stall_after_ms,
                    node)
                VALUES (?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                new.jobName, new.trigger, new.scope, new.algorithmVersion, new.params, now.milliseconds,
                now.milliseconds, new.ownerPid, new.ownerUid, new.ownerStartTime, new.heartbeatTimeoutMs,
                new.stallAfterMs, new.node,
            ])
        let id = db.lastInsertedRowID
        try StageTable.runStarted(job: new.jobName, id: id, db)
        return id
    }

    public func updateRun(_ run: RunRecord) throws {
        try updater.update(run)
    }

    public func appendLog(
        run: Int64, stage: String?, level: LogLevel, message: String, context: String, at: Timestamp
    ) throws -> Int64 {
        try inserter.insert(
            run: run, level: level.rawValue, stage: stage, message: message, context: context,
            createdAt: at.milliseconds)
    }

    public func dropOldestLog(run: Int64, level: LogLevel) throws {
        try db.execute(
            sql: "DELETE FROM logs WHERE id = (SELECT id FROM logs WHERE run_id = ? AND level = ? ORDER BY id LIMIT 1)",
            arguments: [run, level.rawValue])
    }

    public func beginStage(run: Int64, stage: String, message: String, at: Timestamp, progress: Int64) throws {
        try StageTable.begin(run: run, stage: stage, message: message, at: at, progress: progress, db)
    }

    public func endStage(run: Int64, at: Timestamp, progress: Int64) throws {
        try StageTable.end(run: run, at: at, progress: progress, db)
    }

    public func jobSucceeded(job: String, at: Timestamp) throws {
        try StageTable.succeeded(job: job, at: at, db)
    }

    public func slowWarning(_ run: RunRecord) throws -> String? {
        try SlowCheck.finished(run, db)
    }

    public func vacuum(pages: Int) throws -> Int64 {
        try db.execute(sql: "PRAGMA incremental_vacuum(\(max(1, pages)))")
        return try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
    }

    public func session(_ id: String) throws -> StoredSession? {
        try Row.fetchOne(db, sql: "SELECT applied, touched_at FROM sessions WHERE id = ?", arguments: [id]).map {
            StoredSession(id: id, applied: $0["applied"], touchedAt: $0["touched_at"])
        }
    }

    public func saveSession(_ session: StoredSession) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO sessions (id, applied, touched_at) VALUES (?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET applied = excluded.applied, touched_at = excluded.touched_at
                """
        ).execute(arguments: [session.id, session.applied, session.touchedAt])
    }

    public func forgetSessions(before: Int64) throws -> Int64 {
        try db.execute(sql: "DELETE FROM sessions WHERE touched_at < ?", arguments: [before])
        return Int64(db.changesCount)
    }

    public func prunedRunsWithLogs(limit: Int) throws -> [Int64] {
        try Int64.fetchAll(db, sql: "SELECT run_id FROM pruned_runs ORDER BY run_id LIMIT ?", arguments: [limit])
    }

    public func pruneCandidates(before cutoff: Timestamp, status: RunStatus?, limit: Int) throws
        -> [(id: Int64, job: String)]
    {
        var sql = "SELECT id, job_name FROM runs WHERE status != 'RUNNING' AND finished_at < ?"
        var arguments: StatementArguments = [cutoff.milliseconds]
        if let status {
            sql += " AND status = ?"
            arguments += [status.rawValue]
        }
        sql += " ORDER BY id LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { ($0["id"], $0["job_name"]) }
    }

    public func deletePrunedRun(_ id: Int64, job: String) throws {
        try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [id])
        try StageTable.pruned(run: id, job: job, db)
        try db.execute(sql: "INSERT OR IGNORE INTO pruned_runs (run_id) VALUES (?)", arguments: [id])
    }

    /// In the order of the one log index, `logs_by_run_level` (no sort of the run's entries).
    public func deletePrunedLogs(of id: Int64, upTo limit: Int) throws -> Int {
        try db.execute(
            sql: "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE run_id = ? ORDER BY level, id LIMIT ?)",
            arguments: [id, limit])
        let n = db.changesCount
        if n < limit { try db.execute(sql: "DELETE FROM pruned_runs WHERE run_id = ?", arguments: [id]) }
        return n
    }
}
