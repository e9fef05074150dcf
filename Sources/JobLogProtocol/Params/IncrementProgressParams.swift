import JobLogJSON

/// `incrementProgress`: adds `by` (default 1) to the run's progress.
public struct IncrementProgressParams: RPCParams, Equatable {
    public var jobRunId: Int64
    public var by: Int64

    public init(jobRunId: Int64, by: Int64 = 1) {
        self.jobRunId = jobRunId
        self.by = by
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        by = try r.int("by", in: 0...Int64.max) ?? 1
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        if by != 1 { b.add("by", by) }
        return b.object
    }
}
