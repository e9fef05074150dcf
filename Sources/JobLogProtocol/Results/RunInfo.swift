import JobLogJSON
import JobLogModel

/// The run object of the admin methods (`getRun`'s `run`, `listRuns`' items).
public typealias RunInfo = RunRecord

extension RunRecord {
    private func levelCounts(_ counts: LogLevelCounts) -> JSONValue {
        .object(JSONObject(LogLevel.allCases.map { ($0.name, .int(counts[$0])) }))
    }

    private static func double(_ d: Double?) -> JSONValue {
        guard let d, d.isFinite else { return .null }
        return .number(String((d * 1000).rounded() / 1000))
    }

    public var json: JSONValue {
        let error: JSONValue =
            errorMessage.map {
                .object(JSONObject([("message", .string($0)), ("stack", .string(orNull: errorStack))]))
            } ?? .null
        let metadata = JSONObject([
            ("params", .raw(params)),
            (
                "progress",
                .object(
                    JSONObject([
                        ("stage", .string(orNull: currentStage)), ("current", .int(progressCurrent)),
                        ("total", .int(orNull: progressTotal)),
                    ]))
            ),
            ("outcome", savedOutcome.json),
        ])
        return .object(
            JSONObject([
                ("id", .id(id)), ("jobName", .string(jobName)), ("status", .string(status.rawValue)),
                ("trigger", .string(trigger)), ("scope", .string(scope)),
                ("algorithmVersion", .string(orNull: algorithmVersion)),
                ("currentStage", .string(orNull: currentStage)),
                ("progressCurrent", .int(progressCurrent)), ("progressTotal", .int(orNull: progressTotal)),
                ("progressPercent", .int(orNull: progressPercent)), ("progressMessage", .string(progressMessage)),
                ("unit", .string(orNull: unit)), ("startedAt", .timestamp(startedAt)),
                ("finishedAt", .timestamp(finishedAt)), ("durationMs", .int(orNull: durationMs)),
                ("lastHeartbeatAt", .timestamp(lastHeartbeatAt)), ("error", error),
                ("logCounts", levelCounts(logCounts)), ("droppedLogCounts", levelCounts(droppedLogCounts)),
                ("metadata", .object(metadata)), ("outcomeSummary", outcome.json),
                ("pid", .int(orNull: ownerPid)), ("uid", .int(orNull: ownerUid)),
                ("ratePerSecond", Self.double(ratePerSecond)), ("etaSeconds", Self.double(etaSeconds)),
                ("rejectedCount", .int(rejectedCount)), ("lastRejection", .string(orNull: lastRejection)),
                ("stalledSince", .timestamp(stalledSince)), ("slow", .bool(slow)),
                ("cancelRequestedAt", .timestamp(cancelRequestedAt)), ("cancelReason", .string(orNull: cancelReason)),
                ("node", .string(orNull: node)),
            ]))
    }

    /// Reads a run object sent by the daemon.
    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(json, field: "run")
        func counts(_ f: String) -> LogLevelCounts {
            let o = r.object[f]?.objectValue ?? JSONObject()
            var counts = LogLevelCounts()
            for level in LogLevel.allCases { counts[level] = o[level.name]?.int64Value ?? 0 }
            return counts
        }
        let error = r.object["error"]?.objectValue
        let metadata = r.object["metadata"]?.objectValue ?? JSONObject()
        let startedAt = try r.timestamp("startedAt")
        self.init(
            id: try r.id("id"), jobName: try r.string("jobName"), status: try r.status("status"),
            trigger: r.optionalString("trigger") ?? "MANUAL", scope: r.optionalString("scope") ?? "system",
            algorithmVersion: r.optionalString("algorithmVersion"), currentStage: r.optionalString("currentStage"),
            progressCurrent: r.optionalInt("progressCurrent") ?? 0, progressTotal: r.optionalInt("progressTotal"),
            unit: r.optionalString("unit"), startedAt: startedAt, finishedAt: r.optionalTimestamp("finishedAt"),
            lastHeartbeatAt: r.optionalTimestamp("lastHeartbeatAt") ?? startedAt,
            errorMessage: error?["message"]?.stringValue, errorStack: error?["stack"]?.stringValue,
            logCounts: counts("logCounts"), droppedLogCounts: counts("droppedLogCounts"),
            params: metadata["params"].flatMap { RawJSON(validating: JSONWriter.string($0)) } ?? .emptyObject,
            outcome: OutcomeCounters(json: r.object["outcomeSummary"]?.objectValue ?? JSONObject()),
            savedOutcome: OutcomeCounters(json: metadata["outcome"]?.objectValue ?? JSONObject()),
            ownerPid: r.optionalInt("pid"), ownerUid: r.optionalInt("uid"),
            ratePerSecond: r.optionalDouble("ratePerSecond"), etaSeconds: r.optionalDouble("etaSeconds"),
            rejectedCount: r.optionalInt("rejectedCount") ?? 0, lastRejection: r.optionalString("lastRejection"),
            cancelRequestedAt: r.optionalTimestamp("cancelRequestedAt"), cancelReason: r.optionalString("cancelReason"))
        stalledSince = r.optionalTimestamp("stalledSince")
        if case .bool(let b)? = r.object["slow"] { slow = b }
        node = r.optionalString("node")
    }

    /// `getProgress`'s view.
    public var progressJSON: JSONValue {
        .object(
            JSONObject([
                ("id", .id(id)), ("jobName", .string(jobName)), ("status", .string(status.rawValue)),
                ("currentStage", .string(orNull: currentStage)), ("progressCurrent", .int(progressCurrent)),
                ("progressTotal", .int(orNull: progressTotal)), ("progressPercent", .int(orNull: progressPercent)),
                ("progressMessage", .string(progressMessage)), ("entitiesProcessed", .int(progressCurrent)),
                ("entitiesTotal", .int(orNull: progressTotal)), ("unit", .string(orNull: unit)),
                ("startedAt", .timestamp(startedAt)), ("lastHeartbeatAt", .timestamp(lastHeartbeatAt)),
                ("ratePerSecond", Self.double(ratePerSecond)), ("etaSeconds", Self.double(etaSeconds)),
                ("stalledSince", .timestamp(stalledSince)), ("slow", .bool(slow)),
                ("cancelRequestedAt", .timestamp(cancelRequestedAt)),
            ]))
    }

    /// `getOutcome`'s view (also the result of `saveOutcome`, `logSummary`, `finishRun`).
    public var outcomeJSON: JSONValue {
        .object(
            JSONObject([
                ("id", .id(id)), ("jobName", .string(jobName)), ("status", .string(status.rawValue)),
                ("outcomeSummary", outcome.json), ("entitiesProcessed", .int(progressCurrent)),
                ("entitiesTotal", .int(orNull: progressTotal)), ("durationMs", .int(orNull: durationMs)),
                ("finishedAt", .timestamp(finishedAt)),
            ]))
    }
}
