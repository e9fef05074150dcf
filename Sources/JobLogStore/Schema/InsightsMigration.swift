import GRDB

/// `v7-insights-stages-jobs-flags`: the stage timeline in its own table (backfilled from the
/// `setStage` entries already in `logs`), one row per job name kept at start/finish/prune time,
/// an index for "the last N runs of a job with a status", and the stalled/slow flags of a run.
enum InsightsMigration {
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE stages (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    stage TEXT NOT NULL,
                    message TEXT,
                    started_at INTEGER NOT NULL,
                    finished_at INTEGER,
                    progress_start INTEGER,
                    progress_end INTEGER
                );
                CREATE INDEX stages_by_run ON stages(run_id, id);
                CREATE TABLE job_names (
                    job_name TEXT PRIMARY KEY,
                    runs INTEGER NOT NULL DEFAULT 0,
                    last_run_id INTEGER NOT NULL,
                    last_success_at INTEGER
                );
                CREATE INDEX job_names_by_last_run ON job_names(last_run_id);
                CREATE INDEX runs_by_job_status ON runs(job_name, status, id);
                ALTER TABLE runs ADD COLUMN stalled_since INTEGER;
                ALTER TABLE runs ADD COLUMN slow INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE runs ADD COLUMN stall_after_ms INTEGER;
                """)
        // The setStage entry: level info, context exactly {"stage": …}.
        try db.execute(
            sql: """
                INSERT INTO stages (run_id, stage, message, started_at)
                SELECT run_id, json_extract(context, '$.stage'), message, created_at FROM logs
                WHERE level = 1 AND context LIKE '{"stage":%' AND json_valid(context)
                    AND json_type(context, '$.stage') = 'text'
                    AND (SELECT count(*) FROM json_each(logs.context)) = 1
                ORDER BY run_id, id;
                UPDATE stages SET finished_at = coalesce(
                    (SELECT s.started_at FROM stages s WHERE s.run_id = stages.run_id AND s.id > stages.id
                     ORDER BY s.id LIMIT 1),
                    (SELECT r.finished_at FROM runs r WHERE r.id = stages.run_id));
                INSERT INTO job_names (job_name, runs, last_run_id, last_success_at)
                SELECT job_name, count(*), max(id),
                    max(CASE WHEN status = 'SUCCESS' THEN finished_at END)
                FROM runs GROUP BY job_name;
                """)
    }
}
