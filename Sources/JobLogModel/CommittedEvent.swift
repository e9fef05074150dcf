import JobLogJSON

/// Something a committed transaction changed: what watchers are told, in commit order per run.
public struct CommittedEvent: Sendable {
    public enum Kind: Sendable {
        case started
        case stage(String)
        /// The run's progress at the end of the transaction (several increments coalesce into one).
        case progress(current: Int64, total: Int64?)
        /// Only produced while someone wants log events (the store's `logEventLevel`).
        case log(LogRecord)
        case outcome(OutcomeCounters)
        case finished(RunStatus)
        /// The run has not moved since `since`.
        case stalled(since: Timestamp)
        /// The run moved again after a stall.
        case unstalled
        /// The run was flagged slow (while running or at finish).
        case slow
        /// Someone asked the run to stop (`cancelRun`).
        case cancelRequested(reason: String)
    }

    public let runID: Int64
    public let jobName: String
    public let at: Timestamp
    public let kind: Kind

    public init(runID: Int64, jobName: String, at: Timestamp, kind: Kind) {
        self.runID = runID
        self.jobName = jobName
        self.at = at
        self.kind = kind
    }
}
