/// One stage of a run's timeline (`getStages`).
public struct StageSpan: Sendable, Equatable {
    public var stage: String
    public var message: String?
    public var startedAt: Timestamp
    /// Nil for the current stage of a RUNNING run.
    public var finishedAt: Timestamp?
    /// Nil for stages backfilled from log entries written before the timeline existed.
    public var progressAtStart: Int64?
    public var progressAtEnd: Int64?

    public init(
        stage: String, message: String?, startedAt: Timestamp, finishedAt: Timestamp?, progressAtStart: Int64?,
        progressAtEnd: Int64?
    ) {
        self.stage = stage
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.progressAtStart = progressAtStart
        self.progressAtEnd = progressAtEnd
    }

    /// Milliseconds from start to finish; nil while it is the current stage of a RUNNING run.
    public var durationMs: Int64? { finishedAt.map { max(0, $0.milliseconds - startedAt.milliseconds) } }
}
