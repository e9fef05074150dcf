import JobLogProtocol

/// `getStages`: a run's stage timeline.
enum GetStagesHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try RunParams(from: params)
        return .read {
            do {
                guard let stages = try await context.store.stages(run: p.jobRunId) else {
                    return .failure(.unknownRun(p.jobRunId))
                }
                return .success(StagesResult(stages: stages).json)
            } catch {
                return .failure(RPCError(error, logger: context.logger))
            }
        }
    }
}
