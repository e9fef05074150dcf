import JobLogProtocol

/// `getJobStats`: statistics of a job's last finished runs.
enum GetJobStatsHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try JobStatsParams(from: params)
        return .read {
            do {
                let stats = try await context.store.jobStats(job: p.jobName, last: Int(p.last))
                return .success(JobStatsResult(stats: stats).json)
            } catch {
                return .failure(RPCError(error, logger: context.logger))
            }
        }
    }
}
