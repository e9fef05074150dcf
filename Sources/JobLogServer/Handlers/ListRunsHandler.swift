import JobLogProtocol

/// `listRuns`.
enum ListRunsHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try ListRunsParams(from: params)
        return .read {
            do {
                let runs = try await context.store.listRuns(
                    jobName: p.jobName, status: p.status, node: p.node, limit: Int(p.limit), beforeId: p.beforeId)
                return .success(ListRunsResult(runs: runs.map(context.decorate)).json)
            } catch {
                return .failure(RPCError(error, logger: context.logger))
            }
        }
    }
}
