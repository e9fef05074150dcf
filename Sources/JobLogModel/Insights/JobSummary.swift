/// One job name of `listJobs`: its run count and its last run.
public struct JobSummary: Sendable, Equatable {
    /// The newest run of a job.
    public struct LastRun: Sendable, Equatable {
        public var id: Int64
        public var status: RunStatus
        public var startedAt: Timestamp
        public var durationMs: Int64?

        public init(id: Int64, status: RunStatus, startedAt: Timestamp, durationMs: Int64?) {
            self.id = id
            self.status = status
            self.startedAt = startedAt
            self.durationMs = durationMs
        }
    }

    public var jobName: String
    /// Runs of the job in the store (pruned runs no longer count).
    public var runs: Int64
    /// Runs of the job RUNNING now.
    public var running: Int64
    public var lastRun: LastRun?
    public var lastSuccessAt: Timestamp?

    public init(jobName: String, runs: Int64, running: Int64, lastRun: LastRun?, lastSuccessAt: Timestamp?) {
        self.jobName = jobName
        self.runs = runs
        self.running = running
        self.lastRun = lastRun
        self.lastSuccessAt = lastSuccessAt
    }
}
