import JobLogJSON

/// Params that name only a run: `saveOutcome`, `logSummary`, `getProgress`, `getOutcome`, `getRun`.
public struct RunParams: RPCParams, Equatable {
    public var jobRunId: Int64

    public init(jobRunId: Int64) { self.jobRunId = jobRunId }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
    }

    public var json: JSONObject { JSONObject([("jobRunId", .string(String(jobRunId)))]) }
}
