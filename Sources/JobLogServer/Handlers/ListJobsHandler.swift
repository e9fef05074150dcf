import JobLogProtocol

/// `listJobs`: one line per job name.
enum ListJobsHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try ListJobsParams(from: params)
        return .read {
            do {
                let jobs = try await context.store.listJobs(prefix: p.jobName, limit: Int(p.limit))
                return .success(ListJobsResult(jobs: jobs).json)
            } catch {
                return .failure(RPCError(error, logger: context.logger))
            }
        }
    }
}
