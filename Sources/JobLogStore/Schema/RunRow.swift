import Foundation
import GRDB
import JobLogJSON
import JobLogModel

/// Reads and writes `runs` rows.
enum RunRow {
    /// The columns a run is read with: every column, and the two free texts again as bytes, so a
    /// message holding U+0000 is read whole (GRDB reads text as a C string).
    static let columns =
        "*, CAST(error_message AS BLOB) AS error_message_bytes, CAST(error_stack AS BLOB) AS error_stack_bytes"

    /// A run record from a `SELECT \(columns) FROM runs` row.
    static func record(_ row: Row) -> RunRecord {
        let params: String = row["params"]
        var record = RunRecord(
            id: row["id"], jobName: row["job_name"],
            status: RunStatus(rawValue: row["status"] as String) ?? .running,
            trigger: row["trigger"], scope: row["scope"], algorithmVersion: row["algorithm_version"],
            currentStage: row["stage"], progressCurrent: row["progress_current"], progressTotal: row["progress_total"],
            unit: row["unit"], startedAt: Timestamp(milliseconds: row["started_at"]),
            finishedAt: (row["finished_at"] as Int64?).map(Timestamp.init(milliseconds:)),
            lastHeartbeatAt: Timestamp(milliseconds: row["last_heartbeat_at"]),
            errorMessage: exactText(row, "error_message"), errorStack: exactText(row, "error_stack"),
            logCounts: LogLevelCounts(
                debug: row["log_debug"], info: row["log_info"], milestone: row["log_milestone"],
                warning: row["log_warning"], error: row["log_error"]),
            droppedLogCounts: LogLevelCounts(debug: row["dropped_debug"], info: row["dropped_info"]),
            params: RawJSON(validating: params) ?? .emptyObject,
            outcome: OutcomeCounters(jsonText: row["outcome"]),
            savedOutcome: OutcomeCounters(jsonText: row["saved_outcome"]),
            ownerPid: row["owner_pid"], ownerUid: row["owner_uid"],
            rejectedCount: row["rejected_count"], lastRejection: row["last_rejection"],
            cancelRequestedAt: (row["cancel_requested_at"] as Int64?).map(Timestamp.init(milliseconds:)),
            cancelReason: row["cancel_reason"])
        record.stalledSince = (row["stalled_since"] as Int64?).map(Timestamp.init(milliseconds:))
        record.slow = row["slow"] as Bool? ?? false
        record.stallAfterMs = row["stall_after_ms"]
        record.node = row["node"]
        return record
    }

    /// The columns ``owner(_:)`` reads: what the liveness reaper and `cancelRun` need of a run.
    static let ownerColumns = "id, owner_pid, owner_start_time, heartbeat_timeout_ms, last_heartbeat_at"

    /// A run's owner facts from a `SELECT \(ownerColumns) FROM runs` row, by column name.
    static func owner(_ row: Row) -> RunOwner {
        RunOwner(
            runID: row["id"], pid: row["owner_pid"], startTime: row["owner_start_time"],
            heartbeatTimeoutMs: row["heartbeat_timeout_ms"],
            lastHeartbeatAt: Timestamp(milliseconds: row["last_heartbeat_at"]))
    }

    static let update = """
        UPDATE runs SET status = ?, stage = ?, progress_current = ?, progress_total = ?, unit = ?,
            outcome = ?, saved_outcome = ?, finished_at = ?, last_heartbeat_at = ?,
            error_message = CAST(? AS TEXT), error_stack = CAST(? AS TEXT), log_debug = ?, log_info = ?,
            log_milestone = ?, log_warning = ?, log_error = ?, dropped_debug = ?, dropped_info = ?,
            rejected_count = ?, last_rejection = ?, cancel_requested_at = ?, cancel_reason = CAST(? AS TEXT),
            stalled_since = ?, slow = ?
        WHERE id = ?
        """

    /// A text column read by length: its `<name>_bytes` blob twin when the query selected one.
    static func exactText(_ row: Row, _ name: String) -> String? {
        if row.hasColumn(name + "_bytes") {
            guard let data = row[name + "_bytes"] as Data? else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
        return row[name]
    }
}
