import JobLogProtocol

/// Dispatches a request to its method's handler: one exhaustive switch.
enum Router {
    static func route(_ request: RPCRequest, _ context: RequestContext) -> Result<Routed, RPCError> {
        guard let method = Method.named(request.method) else {
            return .failure(.methodNotFound(request.method))
        }
        if request.positionalParams { return .failure(.invalidParams(field: "params", reason: "params must be named")) }
        let p = ParamReader(request.params)
        do {
            switch method {
            case .startRun: return .success(try StartRunHandler.route(p, context))
            case .setStage: return .success(try SetStageHandler.route(p, context))
            case .setTotal: return .success(try SetTotalHandler.route(p, context))
            case .incrementProgress: return .success(try IncrementProgressHandler.route(p, context))
            case .setProgress: return .success(try SetProgressHandler.route(p, context))
            case .debug: return .success(try LogHandler.route(level: .debug, p, context))
            case .info: return .success(try LogHandler.route(level: .info, p, context))
            case .milestone: return .success(try LogHandler.route(level: .milestone, p, context))
            case .warning: return .success(try LogHandler.route(level: .warning, p, context))
            case .error: return .success(try LogHandler.route(level: .error, p, context))
            case .log: return .success(try LogHandler.route(level: nil, p, context))
            case .addOutcome: return .success(try AddOutcomeHandler.route(p, context))
            case .saveOutcome: return .success(try SaveOutcomeHandler.route(p, context))
            case .logSummary: return .success(try LogSummaryHandler.route(p, context))
            case .finishRun: return .success(try FinishRunHandler.route(p, context))
            case .getLogs: return .success(try GetLogsHandler.route(p, context))
            case .searchLogs: return .success(try SearchLogsHandler.route(p, context))
            case .getProgress: return .success(try GetProgressHandler.route(p, context))
            case .getOutcome: return .success(try GetOutcomeHandler.route(p, context))
            case .getRun: return .success(try GetRunHandler.route(p, context))
            case .listRuns: return .success(try ListRunsHandler.route(p, context))
            case .ping: return .success(try PingHandler.route(p, context))
            case .watch: return .success(try WatchHandler.route(p, context))
            case .unwatch: return .success(try UnwatchHandler.route(p, context))
            case .pruneRuns: return .success(try PruneRunsHandler.route(p, context))
            case .getStages: return .success(try GetStagesHandler.route(p, context))
            case .listJobs: return .success(try ListJobsHandler.route(p, context))
            case .getJobStats: return .success(try GetJobStatsHandler.route(p, context))
            case .compareRuns: return .success(try CompareRunsHandler.route(p, context))
            case .cancelRun: return .success(try CancelRunHandler.route(p, context))
            case .hello:
                // A connection takes `hello` before routing (it numbers its messages); elsewhere
                // (in-process sessions) there is nothing to resume: a new session.
                let hello = try HelloParams(from: p)
                let result = HelloResult(session: hello.session, applied: hello.firstSeq - 1)
                return .success(.immediate(.success(result.json), afterWrite: nil))
            }
        } catch {
            return .failure(error)
        }
    }
}
