import Logging
import PostgresNIO

/// The PostgreSQL schema, versioned like the SQLite one: each migration has a name, runs once, in
/// its own transaction, and is recorded in `joblog_migrations`. A shipped migration is never
/// edited; a change is a new one at the end of ``migrations``.
///
/// The first daemon to start applies them under a session advisory lock, so several daemons
/// starting together wait for each other instead of racing.
enum PostgresSchema {
    /// The advisory lock key of schema changes ("joblog" in ASCII).
    static let lockKey: Int64 = 0x6A6F_626C_6F67

    /// Text, not `jsonb`: `params`, `context` and the outcomes come back byte for byte, key order
    /// and all. Free texts a client may send with U+0000 in them (`message`, `error_message`,
    /// `error_stack`) are `bytea`: PostgreSQL's `text` refuses that character.
    static let migrations: [(name: String, sql: [String])] = [
        (
            "p1-runs-logs-stages-sessions",
            [
                "CREATE SEQUENCE runs_id_seq AS bigint",
                "CREATE SEQUENCE logs_id_seq AS bigint",
                """
                CREATE TABLE runs (
                    id bigint PRIMARY KEY DEFAULT nextval('runs_id_seq'),
                    job_name text NOT NULL,
                    status text NOT NULL,
                    trigger text NOT NULL,
                    scope text NOT NULL,
                    algorithm_version text,
                    params text NOT NULL DEFAULT '{}',
                    stage text,
                    progress_current bigint NOT NULL DEFAULT 0,
                    progress_total bigint,
                    unit text,
                    outcome text NOT NULL DEFAULT '{}',
                    saved_outcome text NOT NULL DEFAULT '{}',
                    started_at bigint NOT NULL,
                    finished_at bigint,
                    last_heartbeat_at bigint NOT NULL,
                    error_message bytea,
                    error_stack bytea,
                    owner_pid bigint,
                    owner_uid bigint,
                    owner_start_time bigint,
                    heartbeat_timeout_ms bigint,
                    log_debug bigint NOT NULL DEFAULT 0,
                    log_info bigint NOT NULL DEFAULT 0,
                    log_milestone bigint NOT NULL DEFAULT 0,
                    log_warning bigint NOT NULL DEFAULT 0,
                    log_error bigint NOT NULL DEFAULT 0,
                    dropped_debug bigint NOT NULL DEFAULT 0,
                    dropped_info bigint NOT NULL DEFAULT 0,
                    rejected_count bigint NOT NULL DEFAULT 0,
                    last_rejection text,
                    cancel_requested_at bigint,
                    cancel_reason text,
                    stalled_since bigint,
                    slow boolean NOT NULL DEFAULT false,
                    stall_after_ms bigint
                )
                """,
                "ALTER SEQUENCE runs_id_seq OWNED BY runs.id",
                "CREATE INDEX runs_by_job ON runs (job_name, id)",
                "CREATE INDEX runs_by_status ON runs (status, id)",
                "CREATE INDEX runs_by_job_status ON runs (job_name, status, id)",
                """
                CREATE TABLE logs (
                    id bigint PRIMARY KEY,
                    run_id bigint NOT NULL,
                    level bigint NOT NULL,
                    stage text,
                    message bytea NOT NULL,
                    context text NOT NULL,
                    created_at bigint NOT NULL
                )
                """,
                "ALTER SEQUENCE logs_id_seq OWNED BY logs.id",
                "CREATE INDEX logs_by_run ON logs (run_id, id)",
                "CREATE INDEX logs_by_run_level ON logs (run_id, level, id)",
                "CREATE TABLE pruned_runs (run_id bigint PRIMARY KEY)",
                """
                CREATE TABLE stages (
                    id bigserial PRIMARY KEY,
                    run_id bigint NOT NULL,
                    stage text NOT NULL,
                    message text,
                    started_at bigint NOT NULL,
                    finished_at bigint,
                    progress_start bigint,
                    progress_end bigint
                )
                """,
                "CREATE INDEX stages_by_run ON stages (run_id, id)",
                """
                CREATE TABLE job_names (
                    job_name text PRIMARY KEY,
                    runs bigint NOT NULL DEFAULT 0,
                    last_run_id bigint NOT NULL,
                    last_success_at bigint
                )
                """,
                "CREATE INDEX job_names_by_last_run ON job_names (last_run_id)",
                """
                CREATE TABLE sessions (
                    id text PRIMARY KEY,
                    applied bigint NOT NULL,
                    touched_at bigint NOT NULL
                )
                """,
                "CREATE INDEX sessions_by_touched ON sessions (touched_at)",
            ]
        ),
        (
            // The daemon that started each run (`--node-name`); null for runs stored before.
            "p2-run-node",
            [
                "ALTER TABLE runs ADD COLUMN node text",
                "CREATE INDEX runs_by_node ON runs (node, id)",
            ]
        ),
        (
            // Node leases (issue 17): each daemon's heartbeat, in ms of the database's clock; a
            // node whose lease expired has its RUNNING runs abandoned by another daemon, which then
            // records the heartbeat it judged in `reaped_at`.
            "p3-nodes",
            [
                """
                CREATE TABLE nodes (
                    name text PRIMARY KEY,
                    started_at bigint NOT NULL,
                    heartbeat_at bigint NOT NULL,
                    reaped_at bigint
                )
                """,
                "CREATE INDEX runs_by_node_status ON runs (node, status, id)",
            ]
        ),
        (
            // Watching across hosts: where each stage change falls among the run's log entries
            // (the id of its `Stage: …` entry), so another daemon replays them in commit order.
            "p4-watch-cursor",
            ["ALTER TABLE stages ADD COLUMN log_position bigint"]
        ),
        (
            // `searchLogs` by level across runs: the entries of level 2 and up in id order (as
            // SQLite's `logs_by_level`); debug and info entries, the bulk, stay out of it.
            "p5-insights",
            [
                "CREATE INDEX logs_by_level ON logs (level, id) WHERE level >= 2"
            ]
        ),
        (
            // A node listens for the other nodes' commits only while its daemon has watchers, and
            // says so here; the others send their commits' `NOTIFY` only while some node listens.
            "p6-node-listening",
            ["ALTER TABLE nodes ADD COLUMN listening boolean NOT NULL DEFAULT false"]
        ),
    ]

    /// Applies the migrations this database lacks, under the advisory lock; refuses a database
    /// that a newer joblogd migrated (a migration it does not know).
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
        do {
            try await apply(connection, logger: logger)
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            throw error
        }
        try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
    }

    private static func apply(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS joblog_migrations (
                name text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var applied: Set<String> = []
        for try await name in try await connection.query("SELECT name FROM joblog_migrations", logger: logger)
            .decode(String.self)
        {
            applied.insert(name)
        }
        let known = Set(migrations.map(\.name))
        if let unknown = applied.subtracting(known).sorted().first {
            throw PostgresStoreError.newerSchema(unknown)
        }
        for migration in migrations where !applied.contains(migration.name) {
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO joblog_migrations (name) VALUES (\(migration.name))", logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            logger.info("applied a PostgreSQL migration", metadata: ["migration": "\(migration.name)"])
        }
    }
}
