import JobLogJSON

/// `incrementProgress`: adds `by` (default 1) to the run's progress.
public struct IncrementProgressParams: RPCParams, Equatable {
    public var jobRunId: Int64
    /// When the job made the call, milliseconds since the epoch (see ``CallTime``).
    public var at: Int64?
    public var by: Int64

    public init(jobRunId: Int64, by: Int64 = 1, at: Int64? = nil) {
        self.at = at
        self.jobRunId = jobRunId
        self.by = by
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        at = try CallTime.read(r)
        by = try r.int("by", in: 0...Int64.max) ?? 1
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        b.add("at", at)
        if by != 1 { b.add("by", by) }
        return b.object
    }
}
