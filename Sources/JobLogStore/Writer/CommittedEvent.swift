import JobLogModel

/// Something a committed transaction changed, in commit order: what watchers are told.
public enum CommittedEvent: Sendable {
    case started(run: Int64, jobName: String)
    case stage(run: Int64, stage: String)
    case progress(run: Int64, current: Int64, total: Int64?, at: Timestamp)
    case log(run: Int64, logID: Int64, level: LogLevel)
    case outcome(run: Int64)
    case finished(run: Int64, status: RunStatus)

    /// The run it concerns.
    public var runID: Int64 {
        switch self {
        case .started(let r, _), .stage(let r, _), .progress(let r, _, _, _), .log(let r, _, _), .outcome(let r),
            .finished(let r, _):
            r
        }
    }
}
