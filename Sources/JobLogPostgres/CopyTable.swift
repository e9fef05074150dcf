/// One table that `joblogd copy-store` moves from a SQLite store to PostgreSQL: its columns (the
/// same names on both sides) and how a copy that stopped half-way goes on.
struct CopyTable: Sendable {
    /// How a column's SQLite value is written into PostgreSQL.
    enum Kind: Sendable {
        /// `INTEGER` → `bigint`.
        case integer
        /// `TEXT` → `text` (U+0000 becomes U+FFFD, as the PostgreSQL store writes it).
        case text
        /// `TEXT` → `bytea`: the free texts that keep U+0000 (see ``PostgresSchema``).
        case bytes
        /// `INTEGER` 0/1 → `boolean`.
        case boolean
    }

    /// How the table's rows are copied.
    enum Mode: Sendable {
        /// Rows in `id` order straight into the table (`COPY`), after the largest id already there:
        /// the ids are kept, and a copy that stopped goes on where its last batch committed.
        case byID(sequence: String)
        /// Rows in key order through a temporary table, upserted on `key`: small tables that are
        /// copied whole each time (the upsert makes a second pass harmless).
        case upsert(update: String)
    }

    var name: String
    var columns: [(name: String, kind: Kind)]
    /// The key that orders the rows (and pages through them): `id`, or the upsert key.
    var key: String
    var mode: Mode

    /// What the SQLite side selects: every column, texts as bytes (GRDB reads text as a C string,
    /// which would cut a value at U+0000).
    var selectList: String {
        columns.map { column in
            switch column.kind {
            case .integer, .boolean: column.name
            case .text, .bytes: "CAST(\(column.name) AS BLOB)"
            }
        }.joined(separator: ", ")
    }

    var columnList: String { columns.map { $0.name }.joined(separator: ", ") }

    /// The tables of a store migrated to `v9-run-node` (SQLite) and `p2-run-node` (PostgreSQL),
    /// in the order they are copied.
    static let all: [CopyTable] = [
        CopyTable(
            name: "runs",
            columns: [
                ("id", .integer), ("job_name", .text), ("status", .text), ("trigger", .text), ("scope", .text),
                ("algorithm_version", .text), ("params", .text), ("stage", .text), ("progress_current", .integer),
                ("progress_total", .integer), ("unit", .text), ("outcome", .text), ("saved_outcome", .text),
                ("started_at", .integer), ("finished_at", .integer), ("last_heartbeat_at", .integer),
                ("error_message", .bytes), ("error_stack", .bytes), ("owner_pid", .integer),
                ("owner_uid", .integer), ("owner_start_time", .integer), ("heartbeat_timeout_ms", .integer),
                ("log_debug", .integer), ("log_info", .integer), ("log_milestone", .integer),
                ("log_warning", .integer), ("log_error", .integer), ("dropped_debug", .integer),
                ("dropped_info", .integer), ("rejected_count", .integer), ("last_rejection", .text),
                ("cancel_requested_at", .integer), ("cancel_reason", .text), ("stalled_since", .integer),
                ("slow", .boolean), ("stall_after_ms", .integer), ("node", .text),
            ],
            key: "id", mode: .byID(sequence: "runs_id_seq")),
        CopyTable(
            name: "logs",
            columns: [
                ("id", .integer), ("run_id", .integer), ("level", .integer), ("stage", .text), ("message", .bytes),
                ("context", .text), ("created_at", .integer),
            ],
            key: "id", mode: .byID(sequence: "logs_id_seq")),
        CopyTable(
            name: "stages",
            columns: [
                ("id", .integer), ("run_id", .integer), ("stage", .text), ("message", .text),
                ("started_at", .integer), ("finished_at", .integer), ("progress_start", .integer),
                ("progress_end", .integer),
            ],
            key: "id", mode: .byID(sequence: "stages_id_seq")),
        CopyTable(
            name: "job_names",
            columns: [
                ("job_name", .text), ("runs", .integer), ("last_run_id", .integer), ("last_success_at", .integer),
            ],
            key: "job_name",
            mode: .upsert(
                update:
                    "runs = excluded.runs, last_run_id = excluded.last_run_id, last_success_at = excluded.last_success_at"
            )),
        CopyTable(
            name: "sessions",
            columns: [("id", .text), ("applied", .integer), ("touched_at", .integer)],
            key: "id", mode: .upsert(update: "applied = excluded.applied, touched_at = excluded.touched_at")),
        CopyTable(
            name: "pruned_runs", columns: [("run_id", .integer)], key: "run_id", mode: .upsert(update: "")),
    ]
}
