/// The params of a new run.
public struct NewRun: Sendable {
    public var jobName: String
    public var trigger: String
    public var scope: String
    public var algorithmVersion: String?
    /// JSON object text.
    public var params: String
    public var ownerPid: Int64?
    public var ownerUid: Int64?
    public var ownerStartTime: Int64?
    public var heartbeatTimeoutMs: Int64?
    /// The run's own stall threshold; nil = the daemon's.
    public var stallAfterMs: Int64? = nil
    /// The daemon that started the run (`--node-name`); the writer stamps it before the insert.
    public var node: String? = nil

    public init(
        jobName: String, trigger: String, scope: String, algorithmVersion: String?, params: String,
        ownerPid: Int64? = nil, ownerUid: Int64? = nil, ownerStartTime: Int64? = nil, heartbeatTimeoutMs: Int64? = nil
    ) {
        self.jobName = jobName
        self.trigger = trigger
        self.scope = scope
        self.algorithmVersion = algorithmVersion
        self.params = params
        self.ownerPid = ownerPid
        self.ownerUid = ownerUid
        self.ownerStartTime = ownerStartTime
        self.heartbeatTimeoutMs = heartbeatTimeoutMs
    }
}
