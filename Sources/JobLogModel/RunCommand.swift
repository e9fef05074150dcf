/// One change a run is asked for: the job's own reports, an operator's cancel request, the
/// liveness reaper's verdicts. Texts are stored as they are; the run rules (`RunMachine`) say
/// what each one does to a run.
public enum RunCommand: Sendable {
    case setStage(stage: String, message: String?)
    case setTotal(total: Int64, unit: String?)
    case incrementProgress(by: Int64)
    case setProgress(current: Int64)
    /// `context` is JSON object text, already validated.
    case log(level: LogLevel, message: String, context: String?)
    case addOutcome(key: String, count: Int64)
    case saveOutcome
    case logSummary
    case finish(status: RunStatus, errorMessage: String?, errorStack: String?)
    /// Asks a RUNNING run to stop (`cancelRun`); `by` is the requester's uid.
    case cancel(reason: String, by: Int64?, graceMs: Int64)
    /// The run's owner is gone (the liveness reaper).
    case abandon(reason: String)
    /// A flag the liveness reaper decided on.
    case flag(RunFlag)

    /// The job's own word: it counts as a sign of life (heartbeat, end of a stall).
    /// An operator's or the reaper's commands do not.
    public var isSignOfLife: Bool {
        switch self {
        case .abandon, .cancel, .flag: false
        default: true
        }
    }

    /// The JSON-RPC method that asks for it (for rejection reasons).
    public var methodName: String {
        switch self {
        case .setStage: "setStage"
        case .setTotal: "setTotal"
        case .incrementProgress: "incrementProgress"
        case .setProgress: "setProgress"
        case .log(let level, _, _): level.name
        case .addOutcome: "addOutcome"
        case .saveOutcome: "saveOutcome"
        case .logSummary: "logSummary"
        case .finish: "finishRun"
        case .abandon: "abandon"
        case .flag: "flag"
        case .cancel: "cancelRun"
        }
    }
}
