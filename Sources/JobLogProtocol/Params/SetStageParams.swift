import JobLogJSON

/// `setStage`: the run's current stage; also logged at `info`.
public struct SetStageParams: RPCParams, Equatable {
    public var jobRunId: Int64
    /// When the job made the call, milliseconds since the epoch (see ``CallTime``).
    public var at: Int64?
    public var stage: String
    public var message: String?

    public init(jobRunId: Int64, stage: String, message: String? = nil, at: Int64? = nil) {
        self.at = at
        self.jobRunId = jobRunId
        self.stage = stage
        self.message = message
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        at = try CallTime.read(r)
        stage = try r.requiredName("stage", maxBytes: 200)
        message = try r.string("message", maxBytes: LogParams.maxMessageBytes)
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        b.add("at", at)
        b.add("stage", stage)
        b.add("message", message)
        return b.object
    }
}
