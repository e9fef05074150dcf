import JobLogModel

/// One write the store is asked for: a change to a run (its rules are `RunMachine`'s), a new
/// run, or the store's own housekeeping. Ids are run ids; texts are stored as they are.
public enum WriteCommand: Sendable {
    /// Boxed (`indirect`): the params of a new run are large, and every command would be as large.
    indirect case startRun(NewRun)
    /// A change to run `run`.
    case run(Int64, RunCommand)
    /// No write: completes once everything queued before it is committed.
    case barrier
    /// Deletes finished runs that ended before `cutoff` (and their logs), at most `maxRows` rows.
    case prune(cutoff: Timestamp, status: RunStatus?, maxRows: Int)
    /// Returns up to `pages` free pages to the file system (after pruning).
    case vacuum(pages: Int)
    /// No write: a notification the daemon refused before it reached the writer (invalid params,
    /// unknown method). Counted on its run (`rejectedCount`) when it names one the caller may write to.
    case reject(run: Int64?, method: String, reason: String)
    /// Starts or resumes a client session on a connection (`hello`).
    case hello(SessionLink)
    /// Forgets the sessions untouched since `before` (the session TTL).
    case forgetSessions(before: Timestamp)

    /// True for ``barrier`` (no write).
    public var isBarrier: Bool {
        if case .barrier = self { return true }
        return false
    }

    /// The run it writes to, if any.
    public var runID: Int64? {
        if case .run(let id, _) = self { return id }
        return nil
    }

    /// The JSON-RPC method that asked for it (for rejection reasons).
    public var methodName: String {
        switch self {
        case .startRun: "startRun"
        case .run(_, let command): command.methodName
        case .barrier: "barrier"
        case .prune: "pruneRuns"
        case .vacuum: "vacuum"
        case .reject(_, let method, _): method
        case .hello: "hello"
        case .forgetSessions: "forgetSessions"
        }
    }
}

extension WriteCommand {
    /// `setStage`.
    public static func setStage(run: Int64, stage: String, message: String?) -> WriteCommand {
        .run(run, .setStage(stage: stage, message: message))
    }
    /// `setTotal`.
    public static func setTotal(run: Int64, total: Int64, unit: String?) -> WriteCommand {
        .run(run, .setTotal(total: total, unit: unit))
    }
    /// `incrementProgress`.
    public static func incrementProgress(run: Int64, by: Int64) -> WriteCommand {
        .run(run, .incrementProgress(by: by))
    }
    /// `setProgress`.
    public static func setProgress(run: Int64, current: Int64) -> WriteCommand {
        .run(run, .setProgress(current: current))
    }
    /// A log entry (`info`, `error`, `log`, …).
    public static func log(run: Int64, level: LogLevel, message: String, context: String?) -> WriteCommand {
        .run(run, .log(level: level, message: message, context: context))
    }
    /// `addOutcome`.
    public static func addOutcome(run: Int64, key: String, count: Int64) -> WriteCommand {
        .run(run, .addOutcome(key: key, count: count))
    }
    /// `saveOutcome`.
    public static func saveOutcome(run: Int64) -> WriteCommand { .run(run, .saveOutcome) }
    /// `logSummary`.
    public static func logSummary(run: Int64) -> WriteCommand { .run(run, .logSummary) }
    /// `finishRun`.
    public static func finish(run: Int64, status: RunStatus, errorMessage: String?, errorStack: String?)
        -> WriteCommand
    {
        .run(run, .finish(status: status, errorMessage: errorMessage, errorStack: errorStack))
    }
    /// `cancelRun`.
    public static func cancel(run: Int64, reason: String, by: Int64?, graceMs: Int64) -> WriteCommand {
        .run(run, .cancel(reason: reason, by: by, graceMs: graceMs))
    }
    /// The liveness reaper: the run's owner is gone.
    public static func abandon(run: Int64, reason: String) -> WriteCommand { .run(run, .abandon(reason: reason)) }
    /// The liveness reaper: a flag on a RUNNING run.
    public static func flag(run: Int64, _ flag: RunFlag) -> WriteCommand { .run(run, .flag(flag)) }
}
