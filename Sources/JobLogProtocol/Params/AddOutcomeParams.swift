import JobLogJSON

/// `addOutcome`: adds `count` (default 1) to the counter `key`.
public struct AddOutcomeParams: RPCParams, Equatable {
    public var jobRunId: Int64
    public var key: String
    public var count: Int64

    public init(jobRunId: Int64, key: String, count: Int64 = 1) {
        self.jobRunId = jobRunId
        self.key = key
        self.count = count
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        key = try r.requiredName("key", maxBytes: 200, minBytes: 1)
        count = try r.int("count") ?? 1
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        b.add("key", key)
        if count != 1 { b.add("count", count) }
        return b.object
    }
}
