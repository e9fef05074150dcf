import GRDB
import JobLogModel

/// The writer's side of the `stages` and `job_names` tables (inside its open transaction).
enum StageTable {
    /// Stage rows kept per run: later stage changes are still logged, not added to the timeline.
    static let maxStagesPerRun = 1000

    /// Ends the run's current stage and opens `stage`.
    static func begin(
        run: Int64, stage: String, message: String?, at: Timestamp, progress: Int64, _ db: Database
    ) throws {
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM stages WHERE run_id = ?", arguments: [run]) ?? 0
        guard count < maxStagesPerRun else { return }
        try end(run: run, at: at, progress: progress, db)
        try db.cachedStatement(
            sql: """
                INSERT INTO stages (run_id, stage, message, started_at, progress_start) VALUES (?, ?, ?, ?, ?)
                """
        ).execute(arguments: [run, stage, message, at.milliseconds, progress])
    }

    /// Ends the run's open stage (at finish, or when the next begins).
    static func end(run: Int64, at: Timestamp, progress: Int64, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE stages SET finished_at = max(started_at, ?), progress_end = ?
                WHERE run_id = ? AND finished_at IS NULL
                """
        ).execute(arguments: [at.milliseconds, progress, run])
    }

    /// A new run of `job`.
    static func runStarted(job: String, id: Int64, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO job_names (job_name, runs, last_run_id) VALUES (?, 1, ?)
                ON CONFLICT(job_name) DO UPDATE SET runs = runs + 1, last_run_id = max(last_run_id, excluded.last_run_id)
                """
        ).execute(arguments: [job, id])
    }

    /// A run of `job` finished SUCCESS at `at`.
    static func succeeded(job: String, at: Timestamp, _ db: Database) throws {
        try db.cachedStatement(
            sql: "UPDATE job_names SET last_success_at = max(coalesce(last_success_at, 0), ?) WHERE job_name = ?"
        ).execute(arguments: [at.milliseconds, job])
    }

    /// A run of `job` was pruned: its stages go, the job's count drops (its row too at 0).
    static func pruned(run: Int64, job: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM stages WHERE run_id = ?", arguments: [run])
        try db.execute(
            sql: """
                UPDATE job_names SET runs = runs - 1,
                    last_run_id = coalesce((SELECT max(id) FROM runs WHERE job_name = ?1), last_run_id)
                WHERE job_name = ?1
                """, arguments: [job])
        try db.execute(sql: "DELETE FROM job_names WHERE job_name = ? AND runs <= 0", arguments: [job])
    }
}
