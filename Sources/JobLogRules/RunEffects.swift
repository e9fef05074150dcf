import JobLogModel

/// What the run rules ask of a store while they apply a command: the rows to write, the events
/// for watchers, and the one fact only the store knows (a job's history, for the slow flag).
///
/// `RunMachine` calls these in the order the effects must happen; a store applies them inside
/// its open transaction (the SQLite writer runs the SQL at once; a test double records them).
/// A thrown error fails the whole transaction.
public protocol RunEffects {
    /// Stores a log entry of run `run` (written while its stage was `stage`) and returns its id.
    mutating func appendLog(
        run: Int64, stage: String?, level: LogLevel, message: String, context: String, at: Timestamp
    ) throws -> Int64
    /// Deletes run `run`'s oldest entry of `level`: the log budget made room for a newer one.
    mutating func dropOldestLog(run: Int64, level: LogLevel) throws
    /// Ends the run's open stage (if any) and opens `stage` in its timeline.
    mutating func beginStage(run: Int64, stage: String, message: String, at: Timestamp, progress: Int64) throws
    /// Ends the run's open stage, if any.
    mutating func endStage(run: Int64, at: Timestamp, progress: Int64) throws
    /// A run of `job` finished SUCCESS at `at` (the job's last success).
    mutating func jobSucceeded(job: String, at: Timestamp) throws
    /// The warning for a run that just finished SUCCESS much slower than its job's usual runs;
    /// nil when it is not slow (or the job has too little history).
    mutating func slowWarning(_ run: RunRecord) throws -> String?
    /// Tells watchers, once the transaction has committed.
    mutating func emit(_ event: consuming CommittedEvent)
}
