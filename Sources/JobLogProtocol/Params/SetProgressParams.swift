import JobLogJSON

/// `setProgress`: sets the run's progress.
public struct SetProgressParams: RPCParams, Equatable {
    public var jobRunId: Int64
    /// When the job made the call, milliseconds since the epoch (see ``CallTime``).
    public var at: Int64?
    public var current: Int64

    public init(jobRunId: Int64, current: Int64, at: Int64? = nil) {
        self.at = at
        self.jobRunId = jobRunId
        self.current = current
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        at = try CallTime.read(r)
        guard let c = try r.int("current", in: 0...Int64.max) else {
            throw .invalidParams(field: "current", reason: "required")
        }
        current = c
    }

    public var json: JSONObject {
        JSONObject([("jobRunId", .string(String(jobRunId))), ("current", .int(current))])
    }
}
