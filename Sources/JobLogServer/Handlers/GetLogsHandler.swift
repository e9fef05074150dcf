import JobLogProtocol

/// `getLogs`.
enum GetLogsHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try GetLogsParams(from: params)
        return .read {
            do {
                guard
                    let logs = try await context.store.logs(
                        run: p.jobRunId, minLevel: p.level, limit: Int(p.limit), afterId: p.afterId,
                        beforeId: p.beforeId)
                else { return .failure(.unknownRun(p.jobRunId)) }
                return .success(LogsResult(logs: logs).json)
            } catch {
                return .failure(RPCError(error, logger: context.logger))
            }
        }
    }
}
