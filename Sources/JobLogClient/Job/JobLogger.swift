import JobLogJSON
import JobLogModel
import JobLogProtocol
import Synchronization

/// Reports one run (the seed's JobLogger). Progress, logs and outcome counters are
/// notifications: they cost an encode and an append, never a round trip, and
/// never throw. `saveOutcome`, `logSummary` and `flush` wait for the daemon.
///
/// Log and progress calls carry the time of the call (`at`): entries buffered
/// while the daemon was away keep the time they were logged.
public struct JobLogger: Sendable {
    public let jobRunId: Int64
    public let jobName: String
    let client: JobLogClient?
    /// Set once the summary is written, so that `runJob` does not write a second one.
    let summaryWritten = SummaryFlag()

    /// A logger for an existing run (`createJobLogger(ctx.jobRunId, ctx.jobName)` in the seed).
    public init(jobRunId: Int64, jobName: String, client: JobLogClient) {
        self.jobRunId = jobRunId
        self.jobName = jobName
        self.client = jobRunId > 0 ? client : nil
    }

    /// A logger that reports nothing (the daemon was unreachable when the job started).
    public static func disabled(jobName: String) -> JobLogger {
        JobLogger(jobRunId: 0, jobName: jobName, client: nil)
    }

    private init(jobRunId: Int64, jobName: String, client: JobLogClient?) {
        self.jobRunId = jobRunId
        self.jobName = jobName
        self.client = client
    }

    // MARK: - Stages and progress

    /// Sets the current stage (also logged at `info`).
    public func setStage(_ stage: String, _ message: String? = nil) async {
        client?.notify(.setStage, SetStageParams(jobRunId: jobRunId, stage: stage, message: message, at: Self.now))
    }

    /// Sets how many units the run will process.
    public func setTotal(_ total: Int, _ unit: String? = nil) async {
        client?.notify(
            .setTotal, SetTotalParams(jobRunId: jobRunId, total: Int64(max(0, total)), unit: unit, at: Self.now))
    }

    /// Adds to the progress (default 1).
    public func incrementProgress(by: Int = 1) async {
        client?.notify(
            .incrementProgress, IncrementProgressParams(jobRunId: jobRunId, by: Int64(max(0, by)), at: Self.now))
    }

    /// Sets the progress.
    public func setProgress(_ current: Int) async {
        client?.notify(
            .setProgress, SetProgressParams(jobRunId: jobRunId, current: Int64(max(0, current)), at: Self.now))
    }

    // MARK: - Logs

    public func debug(_ message: String, context: LogContext = [:]) async { log(.debug, message, context) }
    public func info(_ message: String, context: LogContext = [:]) async { log(.info, message, context) }
    public func milestone(_ message: String, context: LogContext = [:]) async { log(.milestone, message, context) }
    public func warning(_ message: String, context: LogContext = [:]) async { log(.warning, message, context) }
    public func error(_ message: String, context: LogContext = [:]) async { log(.error, message, context) }

    /// A log entry at `level`.
    public func log(_ level: LogLevel, _ message: String, _ context: LogContext = [:]) {
        guard let client else { return }
        let params = LogParams(
            jobRunId: jobRunId, level: level, message: message, context: context.rawJSON, at: Self.now)
        client.notify(params.method, params)
    }

    /// The time of a call, milliseconds since the epoch.
    private static var now: Int64 { Timestamp.now().milliseconds }

    // MARK: - Outcomes

    /// Adds `count` (default 1) to the counter `key`. Synchronous, as in the seed.
    public func addOutcome(_ key: String, _ count: Int = 1) {
        client?.notify(.addOutcome, AddOutcomeParams(jobRunId: jobRunId, key: key, count: Int64(count)))
    }

    /// Stores the counters into `metadata.outcome`; returns them (nil when reporting failed).
    @discardableResult
    public func saveOutcome() async -> OutcomeCounters? {
        guard let client else { return nil }
        return try? await client.call(.saveOutcome, RunParams(jobRunId: jobRunId), as: OutcomeResult.self)
            .outcomeSummary
    }

    /// Saves the outcome and writes the summary entry; waits until stored.
    @discardableResult
    public func logSummary() async -> OutcomeCounters? {
        guard let client else { return nil }
        summaryWritten.set()
        return try? await client.call(.logSummary, RunParams(jobRunId: jobRunId), as: OutcomeResult.self).outcomeSummary
    }

    /// True when everything reported so far is stored.
    @discardableResult
    public func flush() async -> Bool {
        guard let client else { return false }
        return await client.flush()
    }
}

/// The seed's `createJobLogger(jobRunId, jobName)`.
public func createJobLogger(_ jobRunId: Int64, _ jobName: String, client: JobLogClient = .shared) -> JobLogger {
    JobLogger(jobRunId: jobRunId, jobName: jobName, client: client)
}

/// A flag shared by the copies of one logger.
final class SummaryFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
