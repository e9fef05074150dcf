import GRDB

/// The store's schema, as named migrations. A migration that has shipped is never edited:
/// add a new one. A database migrated by a newer daemon is refused (see ``JobLogStore``).
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-runs-and-logs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        job_name TEXT NOT NULL,
                        status TEXT NOT NULL,
                        trigger TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        algorithm_version TEXT,
                        params TEXT NOT NULL DEFAULT '{}',
                        stage TEXT,
                        progress_current INTEGER NOT NULL DEFAULT 0,
                        progress_total INTEGER,
                        unit TEXT,
                        outcome TEXT NOT NULL DEFAULT '{}',
                        saved_outcome TEXT NOT NULL DEFAULT '{}',
                        started_at INTEGER NOT NULL,
                        finished_at INTEGER,
                        last_heartbeat_at INTEGER NOT NULL,
                        error_message TEXT,
                        error_stack TEXT,
                        owner_pid INTEGER,
                        owner_uid INTEGER,
                        owner_start_time INTEGER,
                        heartbeat_timeout_ms INTEGER,
                        log_debug INTEGER NOT NULL DEFAULT 0,
                        log_info INTEGER NOT NULL DEFAULT 0,
                        log_milestone INTEGER NOT NULL DEFAULT 0,
                        log_warning INTEGER NOT NULL DEFAULT 0,
                        log_error INTEGER NOT NULL DEFAULT 0,
                        dropped_debug INTEGER NOT NULL DEFAULT 0,
                        dropped_info INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX runs_by_job ON runs(job_name, id);
                    CREATE INDEX runs_by_status ON runs(status, id);
                    CREATE TABLE logs (
                        id INTEGER PRIMARY KEY,
                        run_id INTEGER NOT NULL,
                        level INTEGER NOT NULL,
                        stage TEXT,
                        message TEXT NOT NULL,
                        context TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX logs_by_run ON logs(run_id, id);
                    CREATE INDEX logs_by_run_level ON logs(run_id, level, id);
                    """)
        }
        migrator.registerMigration("v2-pruned-runs") { db in
            // Runs whose row is deleted and whose log rows may still be there: a prune deletes a run's
            // row first (one transaction with this entry), then its logs in bounded steps. A half-pruned
            // run is never visible, and a restart finishes what a crash interrupted.
            try db.execute(sql: "CREATE TABLE pruned_runs (run_id INTEGER PRIMARY KEY)")
        }
        migrator.registerMigration("v3-rejected-notifications") { db in
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN rejected_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE runs ADD COLUMN last_rejection TEXT;
                    """)
        }
        // One log index instead of two: every new entry was written into both. The remaining
        // `logs_by_run_level(run_id, level, id)` serves pages with and without a level filter
        // (see LogQuery) and the log budget's oldest-entry lookup.
        migrator.registerMigration("v4-one-log-index") { db in
            try db.execute(sql: "DROP INDEX IF EXISTS logs_by_run")
        }
        migrator.registerMigration("v5-search-logs-by-level") { db in
            // `searchLogs`: the newest entries of one level across every run, by one index seek per level.
            // Partial: milestones, warnings and errors only, so the ingest of debug and info entries (nearly
            // all of them) pays for no third index; those levels are found by walking ids backwards.
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS logs_by_level ON logs(level, id) WHERE level >= 2")
        }
        migrator.registerMigration("v6-cancel-requests") { db in
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN cancel_requested_at INTEGER;
                    ALTER TABLE runs ADD COLUMN cancel_reason TEXT;
                    """)
        }
        migrator.registerMigration("v7-insights-stages-jobs-flags", migrate: InsightsMigration.migrate)
        migrator.registerMigration("v8-sessions-applied-count") { db in
            // Client sessions (protocol version 2, `hello`): how many of a session's messages are
            // committed, updated in the same transaction as their effects; forgotten after
            // `--session-ttl` without use.
            try db.execute(
                sql: """
                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY NOT NULL,
                        applied INTEGER NOT NULL,
                        touched_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX sessions_by_touched ON sessions(touched_at);
                    """)
        }
        migrator.registerMigration("v9-run-node") { db in
            // The daemon that started each run (`--node-name`); null for runs stored before.
            // `listRuns {"node"}` pages by id within one node.
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN node TEXT;
                    CREATE INDEX runs_by_node ON runs(node, id);
                    """)
        }
        return migrator
    }
}
