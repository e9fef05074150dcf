import JobLogProtocol

/// `compareRuns`: a run against another run or the usual run of its job.
enum CompareRunsHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try CompareRunsParams(from: params)
        return .read {
            do {
                guard let comparison = try await context.store.compare(run: p.jobRunId, baseline: p.baselineRunId)
                else { return .failure(.unknownRun(p.jobRunId)) }
                return .success(ComparisonResult(comparison: comparison).json)
            } catch {
                return .failure(RPCError(error, logger: context.logger))
            }
        }
    }
}
