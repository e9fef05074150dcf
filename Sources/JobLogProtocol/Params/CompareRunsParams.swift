import JobLogJSON

/// `compareRuns`: a run against another run, or (without `baselineRunId`) the usual run of its job.
public struct CompareRunsParams: RPCParams, Equatable {
    public var jobRunId: Int64
    public var baselineRunId: Int64?

    public init(jobRunId: Int64, baselineRunId: Int64? = nil) {
        self.jobRunId = jobRunId
        self.baselineRunId = baselineRunId
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        baselineRunId = try r.id("baselineRunId")
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        b.add("baselineRunId", baselineRunId.map { String($0) })
        return b.object
    }
}
