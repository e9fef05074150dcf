import JobLogJSON
import JobLogModel
import JobLogStore
import NIOCore
import PostgresNIO

/// Decodes `runs`, `logs` and `stages` rows by column name.
enum PostgresRows {
    /// Every column of `runs` (a run record is read whole).
    static let runColumns = "*"

    /// A run record from a `SELECT \(runColumns) FROM runs` row.
    static func run(_ row: PostgresRow) throws -> RunRecord {
        let r = row.makeRandomAccess()
        func int(_ name: String) throws -> Int64 { try r[name].decode(Int64.self) }
        func optInt(_ name: String) throws -> Int64? { try r[name].decode(Int64?.self) }
        func text(_ name: String) throws -> String { try r[name].decode(String.self) }
        func optText(_ name: String) throws -> String? { try r[name].decode(String?.self) }
        func bytes(_ name: String) throws -> String? {
            try r[name].decode(ByteBuffer?.self).map { String(buffer: $0) }
        }
        var record = RunRecord(
            id: try int("id"), jobName: try text("job_name"),
            status: RunStatus(rawValue: try text("status")) ?? .running,
            trigger: try text("trigger"), scope: try text("scope"), algorithmVersion: try optText("algorithm_version"),
            currentStage: try optText("stage"), progressCurrent: try int("progress_current"),
            progressTotal: try optInt("progress_total"), unit: try optText("unit"),
            startedAt: Timestamp(milliseconds: try int("started_at")),
            finishedAt: try optInt("finished_at").map(Timestamp.init(milliseconds:)),
            lastHeartbeatAt: Timestamp(milliseconds: try int("last_heartbeat_at")),
            errorMessage: try bytes("error_message"), errorStack: try bytes("error_stack"),
            logCounts: LogLevelCounts(
                debug: try int("log_debug"), info: try int("log_info"), milestone: try int("log_milestone"),
                warning: try int("log_warning"), error: try int("log_error")),
            droppedLogCounts: LogLevelCounts(debug: try int("dropped_debug"), info: try int("dropped_info")),
            params: RawJSON(validating: try text("params")) ?? .emptyObject,
            outcome: OutcomeCounters(jsonText: try text("outcome")),
            savedOutcome: OutcomeCounters(jsonText: try text("saved_outcome")),
            ownerPid: try optInt("owner_pid"), ownerUid: try optInt("owner_uid"),
            rejectedCount: try int("rejected_count"), lastRejection: try optText("last_rejection"),
            cancelRequestedAt: try optInt("cancel_requested_at").map(Timestamp.init(milliseconds:)),
            cancelReason: try optText("cancel_reason"))
        record.stalledSince = try optInt("stalled_since").map(Timestamp.init(milliseconds:))
        record.slow = try r["slow"].decode(Bool.self)
        record.stallAfterMs = try optInt("stall_after_ms")
        record.node = try optText("node")
        return record
    }

    /// The columns ``owner(_:)`` reads.
    static let ownerColumns =
        "id, owner_pid, owner_start_time, heartbeat_timeout_ms, last_heartbeat_at, job_name, started_at, stage, "
        + "stalled_since, stall_after_ms, slow"

    /// A run's owner facts from a `SELECT \(ownerColumns) FROM runs` row.
    static func owner(_ row: PostgresRow) throws -> RunOwner {
        let r = row.makeRandomAccess()
        var owner = RunOwner(
            runID: try r["id"].decode(Int64.self), pid: try r["owner_pid"].decode(Int64?.self),
            startTime: try r["owner_start_time"].decode(Int64?.self),
            heartbeatTimeoutMs: try r["heartbeat_timeout_ms"].decode(Int64?.self),
            lastHeartbeatAt: Timestamp(milliseconds: try r["last_heartbeat_at"].decode(Int64.self)))
        owner.jobName = try r["job_name"].decode(String.self)
        owner.startedAt = Timestamp(milliseconds: try r["started_at"].decode(Int64.self))
        owner.currentStage = try r["stage"].decode(String?.self)
        owner.stalledSince = try r["stalled_since"].decode(Int64?.self).map(Timestamp.init(milliseconds:))
        owner.stallAfterMs = try r["stall_after_ms"].decode(Int64?.self)
        owner.slow = try r["slow"].decode(Bool.self)
        return owner
    }

    /// The columns ``log(_:)`` reads.
    static let logColumns = "id, level, stage, message, context, created_at"

    /// A log entry from a `SELECT \(logColumns) FROM logs` row.
    static func log(_ row: PostgresRow) throws -> LogRecord {
        let (id, level, stage, message, context, createdAt) = try row.decode(
            (Int64, Int64, String?, ByteBuffer, String, Int64).self)
        return LogRecord(
            id: id, level: LogLevel(rawValue: Int(level)) ?? .info, stage: stage, message: String(buffer: message),
            context: RawJSON(validating: context) ?? .emptyObject, createdAt: Timestamp(milliseconds: createdAt))
    }

    /// A stage span from a `SELECT stage, message, started_at, finished_at, progress_start,
    /// progress_end FROM stages` row.
    static func stage(_ row: PostgresRow) throws -> StageSpan {
        let (stage, message, startedAt, finishedAt, progressStart, progressEnd) = try row.decode(
            (String, String?, Int64, Int64?, Int64?, Int64?).self)
        return StageSpan(
            stage: stage, message: message, startedAt: Timestamp(milliseconds: startedAt),
            finishedAt: finishedAt.map(Timestamp.init(milliseconds:)), progressAtStart: progressStart,
            progressAtEnd: progressEnd)
    }
}
