import JobLogJSON

/// `startRun`: opens a RUNNING run.
public struct StartRunParams: RPCParams, Equatable {
    public var jobName: String
    public var trigger: String
    public var scope: String
    public var algorithmVersion: String?
    /// Stored as `metadata.params`.
    public var params: RawJSON
    /// The owning process, when the caller is not it (a shell passes `$$`).
    public var pid: Int64?
    /// For owners the daemon cannot watch: abandon the run after this much silence.
    public var heartbeatTimeoutMs: Int64?
    /// Flag the run stalled after this much time without progress (overrides `--stall-min-ms`).
    public var stallAfterMs: Int64? = nil
    /// The connection reads what the daemon sends: it gets the `cancel` notification of its runs.
    public var acceptsCancel: Bool

    public init(
        jobName: String, trigger: String = "MANUAL", scope: String = "system", algorithmVersion: String? = nil,
        params: RawJSON = .emptyObject, pid: Int64? = nil, heartbeatTimeoutMs: Int64? = nil,
        acceptsCancel: Bool = false
    ) {
        self.acceptsCancel = acceptsCancel
        self.jobName = jobName
        self.trigger = trigger
        self.scope = scope
        self.algorithmVersion = algorithmVersion
        self.params = params
        self.pid = pid
        self.heartbeatTimeoutMs = heartbeatTimeoutMs
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobName = try r.requiredName("jobName", maxBytes: 200, minBytes: 1)
        trigger = try r.name("trigger", maxBytes: 200) ?? "MANUAL"
        scope = try r.name("scope", maxBytes: 200) ?? "system"
        algorithmVersion = try r.name("algorithmVersion", maxBytes: 200)
        params = try r.rawObject("params") ?? .emptyObject
        pid = try r.int("pid", in: 1...Int64(Int32.max))
        heartbeatTimeoutMs = try r.int("heartbeatTimeoutMs", in: 1...Int64(Int32.max) * 1000)
        stallAfterMs = try r.int("stallAfterMs", in: 1...Int64(Int32.max) * 1000)
        acceptsCancel = try r.bool("acceptsCancel") ?? false
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobName", jobName)
        b.add("trigger", trigger)
        b.add("scope", scope)
        b.add("algorithmVersion", algorithmVersion)
        b.add("params", params)
        b.add("pid", pid)
        b.add("heartbeatTimeoutMs", heartbeatTimeoutMs)
        b.add("stallAfterMs", stallAfterMs)
        if acceptsCancel { b.add("acceptsCancel", JSONValue.bool(true)) }
        return b.object
    }
}
