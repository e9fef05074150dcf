import JobLogJSON

/// `setTotal`: how many units the run will process.
public struct SetTotalParams: RPCParams, Equatable {
    public var jobRunId: Int64
    /// When the job made the call, milliseconds since the epoch (see ``CallTime``).
    public var at: Int64?
    public var total: Int64
    public var unit: String?

    public init(jobRunId: Int64, total: Int64, unit: String? = nil, at: Int64? = nil) {
        self.at = at
        self.jobRunId = jobRunId
        self.total = total
        self.unit = unit
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        at = try CallTime.read(r)
        guard let t = try r.int("total", in: 0...Int64.max) else {
            throw .invalidParams(field: "total", reason: "required")
        }
        total = t
        unit = try r.name("unit", maxBytes: 200)
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        b.add("at", at)
        b.add("total", total)
        b.add("unit", unit)
        return b.object
    }
}
