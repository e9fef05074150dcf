import JobLogJSON
import JobLogModel

/// `getRun`'s result: `{run}`.
public struct RunResult: RPCResult, Equatable {
    public var run: RunInfo
    public init(run: RunInfo) { self.run = run }
    public var json: JSONValue { .object(JSONObject([("run", run.json)])) }
    public init(json: JSONValue) throws(ResultDecodingError) {
        run = try RunInfo(json: ResultReader(json).value("run"))
    }
}

/// `listRuns`' result: `{runs}`, newest first.
public struct ListRunsResult: RPCResult, Equatable {
    public var runs: [RunInfo]
    public init(runs: [RunInfo]) { self.runs = runs }
    public var json: JSONValue { .object(JSONObject([("runs", .array(runs.map(\.json)))])) }
    public init(json: JSONValue) throws(ResultDecodingError) {
        var out: [RunInfo] = []
        for v in try ResultReader(json).array("runs") { out.append(try RunInfo(json: v)) }
        runs = out
    }
}

/// `getProgress`'s result: `{progress}`. Decoded as a run with the fields progress carries.
public struct ProgressResult: RPCResult, Equatable {
    public var run: RunInfo
    public init(run: RunInfo) { self.run = run }
    public var json: JSONValue { .object(JSONObject([("progress", run.progressJSON)])) }
    public init(json: JSONValue) throws(ResultDecodingError) {
        run = try RunInfo(json: ResultReader(json).value("progress"))
    }
}

/// The result of `getOutcome`, `saveOutcome`, `logSummary` and `finishRun`: `{outcome}`.
public struct OutcomeResult: RPCResult, Equatable {
    public var run: RunInfo
    public init(run: RunInfo) { self.run = run }
    public var json: JSONValue { .object(JSONObject([("outcome", run.outcomeJSON)])) }

    /// Decoded into a run with the fields an outcome carries.
    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(try ResultReader(json).value("outcome"), field: "outcome")
        let finishedAt = r.optionalTimestamp("finishedAt")
        let duration = r.optionalInt("durationMs")
        let started =
            finishedAt.map { Timestamp(milliseconds: $0.milliseconds - (duration ?? 0)) } ?? Timestamp(milliseconds: 0)
        run = RunInfo(
            id: try r.id("id"), jobName: try r.string("jobName"), status: try r.status("status"),
            progressCurrent: r.optionalInt("entitiesProcessed") ?? 0, progressTotal: r.optionalInt("entitiesTotal"),
            startedAt: started, finishedAt: finishedAt, lastHeartbeatAt: started,
            outcome: OutcomeCounters(json: r.object["outcomeSummary"]?.objectValue ?? JSONObject()))
    }

    /// The counters.
    public var outcomeSummary: OutcomeCounters { run.outcome }
}
