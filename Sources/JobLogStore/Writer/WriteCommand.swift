import JobLogModel

/// One write the store is asked for: a change to a run (its rule is `RunMachine`'s, see
/// ``runCommand``), a new run, or the store's own housekeeping. Ids are run ids; texts are stored
/// as they are.
///
/// Flat on purpose: a write is copied through the queue, and a nested `RunCommand` payload made
/// every copy and destroy a two-level switch (measured: ~300 instructions per `incrementProgress`).
public enum WriteCommand: Sendable {
    /// Boxed (`indirect`): the params of a new run are large, and every command would be as large.
    indirect case startRun(NewRun)
    case setStage(run: Int64, stage: String, message: String?)
    case setTotal(run: Int64, total: Int64, unit: String?)
    case incrementProgress(run: Int64, by: Int64)
    case setProgress(run: Int64, current: Int64)
    /// `context` is JSON object text, already validated.
    case log(run: Int64, level: LogLevel, message: String, context: String?)
    case addOutcome(run: Int64, key: String, count: Int64)
    case saveOutcome(run: Int64)
    case logSummary(run: Int64)
    case finish(run: Int64, status: RunStatus, errorMessage: String?, errorStack: String?)
    /// Asks a RUNNING run to stop (`cancelRun`): records the request and a warning entry
    /// `Cancel requested: <reason>` whose context names the requester (`by`, a uid).
    case cancel(run: Int64, reason: String, by: Int64?, graceMs: Int64)
    /// Marks a run whose owner is gone (the liveness reaper).
    case abandon(run: Int64, reason: String)
    /// Sets a flag on a RUNNING run without counting as a sign of life (the liveness reaper).
    case flag(run: Int64, RunFlag)
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
        switch self {
        case .startRun, .barrier, .prune, .vacuum, .reject, .hello, .forgetSessions: nil
        case .setStage(let r, _, _), .setTotal(let r, _, _), .incrementProgress(let r, _), .setProgress(let r, _),
            .log(let r, _, _, _), .addOutcome(let r, _, _), .saveOutcome(let r), .logSummary(let r),
            .finish(let r, _, _, _), .abandon(let r, _), .flag(let r, _), .cancel(let r, _, _, _):
            r
        }
    }
}

extension WriteCommand {
    /// The JSON-RPC method that asked for it (for rejection reasons).
    public var methodName: String {
        switch self {
        case .startRun: "startRun"
        case .setStage: "setStage"
        case .setTotal: "setTotal"
        case .incrementProgress: "incrementProgress"
        case .setProgress: "setProgress"
        case .log(_, let level, _, _): level.name
        case .addOutcome: "addOutcome"
        case .saveOutcome: "saveOutcome"
        case .logSummary: "logSummary"
        case .finish: "finishRun"
        case .abandon: "abandon"
        case .flag: "flag"
        case .cancel: "cancelRun"
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
    /// The change to a run it asks for, as the run rules take it; nil for the other writes.
    @inline(__always)
    public var runCommand: (run: Int64, command: RunCommand)? {
        switch self {
        case .setStage(let r, let stage, let message): (r, .setStage(stage: stage, message: message))
        case .setTotal(let r, let total, let unit): (r, .setTotal(total: total, unit: unit))
        case .incrementProgress(let r, let by): (r, .incrementProgress(by: by))
        case .setProgress(let r, let current): (r, .setProgress(current: current))
        case .log(let r, let level, let message, let context):
            (r, .log(level: level, message: message, context: context))
        case .addOutcome(let r, let key, let count): (r, .addOutcome(key: key, count: count))
        case .saveOutcome(let r): (r, .saveOutcome)
        case .logSummary(let r): (r, .logSummary)
        case .finish(let r, let status, let message, let stack):
            (r, .finish(status: status, errorMessage: message, errorStack: stack))
        case .cancel(let r, let reason, let by, let graceMs): (r, .cancel(reason: reason, by: by, graceMs: graceMs))
        case .abandon(let r, let reason): (r, .abandon(reason: reason))
        case .flag(let r, let flag): (r, .flag(flag))
        case .startRun, .barrier, .prune, .vacuum, .reject, .hello, .forgetSessions: nil
        }
    }
}
