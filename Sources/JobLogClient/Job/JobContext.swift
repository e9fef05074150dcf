/// What a job body receives: its run and a logger for it (the seed's JobContext).
public struct JobContext: Sendable {
    /// The run's id (0 when reporting is unavailable: every call is then a no-op).
    public let jobRunId: Int64
    public let jobName: String
    /// The logger of this run.
    public let logger: JobLogger
    /// The run's cancel request (`cancelRun`), for jobs that check between items.
    public let cancellation: CancelSignal

    public init(jobRunId: Int64, jobName: String, logger: JobLogger, cancellation: CancelSignal = CancelSignal()) {
        self.jobRunId = jobRunId
        self.jobName = jobName
        self.logger = logger
        self.cancellation = cancellation
    }

    /// True once someone asked the run to stop (`runJob` has then cancelled the job's task).
    public var isCancelRequested: Bool { cancellation.isRequested }

    /// Yields the cancel reason once, when the request arrives.
    public var cancelRequests: AsyncStream<String> { cancellation.requests }
}

/// The options of `runJob` (the seed's first argument).
public struct JobOptions: Sendable {
    public var jobName: String
    public var trigger: String
    public var scope: String
    public var algorithmVersion: String?
    /// Stored as `metadata.params`.
    public var params: [String: JSONValueConvertible]

    public init(
        jobName: String, trigger: String = "MANUAL", scope: String = "system", algorithmVersion: String? = nil,
        params: [String: JSONValueConvertible] = [:]
    ) {
        self.jobName = jobName
        self.trigger = trigger
        self.scope = scope
        self.algorithmVersion = algorithmVersion
        self.params = params
    }
}
