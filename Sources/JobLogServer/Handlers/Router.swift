import JobLogProtocol

/// Dispatches a request to its method's handler: one exhaustive switch. What cannot reach a
/// handler (no such method, params by position, params the handler rejects) is ``Plan/refused(_:)``.
enum Router {
    /// Routes `request`, whose method the caller has looked up once (`Method.named`; nil: none).
    static func route(_ method: Method?, _ request: RPCRequest, _ context: RequestContext) -> Plan {
        guard let method else { return .refused(.methodNotFound(request.method)) }
        if request.positionalParams { return .refused(.invalidParams(field: "params", reason: "params must be named")) }
        do {
            return try handle(method, ParamReader(request.params), context)
        } catch {
            return .refused(error)
        }
    }

    /// Routes `request`, looking its method up.
    static func route(_ request: RPCRequest, _ context: RequestContext) -> Plan {
        route(Method.named(request.method), request, context)
    }

    private static func handle(_ method: Method, _ p: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        switch method {
        case .startRun: return try StartRunHandler.route(p, context)
        case .setStage: return try SetStageHandler.route(p, context)
        case .setTotal: return try SetTotalHandler.route(p, context)
        case .incrementProgress: return try IncrementProgressHandler.route(p, context)
        case .setProgress: return try SetProgressHandler.route(p, context)
        case .debug: return try LogHandler.route(level: .debug, p, context)
        case .info: return try LogHandler.route(level: .info, p, context)
        case .milestone: return try LogHandler.route(level: .milestone, p, context)
        case .warning: return try LogHandler.route(level: .warning, p, context)
        case .error: return try LogHandler.route(level: .error, p, context)
        case .log: return try LogHandler.route(level: nil, p, context)
        case .addOutcome: return try AddOutcomeHandler.route(p, context)
        case .saveOutcome: return try SaveOutcomeHandler.route(p, context)
        case .logSummary: return try LogSummaryHandler.route(p, context)
        case .finishRun: return try FinishRunHandler.route(p, context)
        case .getLogs: return try GetLogsHandler.route(p, context)
        case .searchLogs: return try SearchLogsHandler.route(p, context)
        case .getProgress: return try GetProgressHandler.route(p, context)
        case .getOutcome: return try GetOutcomeHandler.route(p, context)
        case .getRun: return try GetRunHandler.route(p, context)
        case .listRuns: return try ListRunsHandler.route(p, context)
        case .ping: return try PingHandler.route(p, context)
        case .watch: return try WatchHandler.route(p, context)
        case .unwatch: return try UnwatchHandler.route(p, context)
        case .pruneRuns: return try PruneRunsHandler.route(p, context)
        case .getStages: return try GetStagesHandler.route(p, context)
        case .listJobs: return try ListJobsHandler.route(p, context)
        case .getJobStats: return try GetJobStatsHandler.route(p, context)
        case .compareRuns: return try CompareRunsHandler.route(p, context)
        case .cancelRun: return try CancelRunHandler.route(p, context)
        case .hello:
            // A socket's pipeline takes `hello` before routing (it numbers its messages); elsewhere
            // (in-process sessions) there is nothing to resume: a new session.
            let hello = try HelloParams(from: p)
            return .immediate(.success(HelloResult(session: hello.session, applied: hello.firstSeq - 1).json))
        }
    }
}
