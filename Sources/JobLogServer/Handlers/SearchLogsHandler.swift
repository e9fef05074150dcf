import JobLogProtocol
import JobLogStore

/// `searchLogs`: log entries across runs.
enum SearchLogsHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try SearchLogsParams(from: params)
        let filter = LogSearchFilter(
            runID: p.jobRunId, jobName: p.jobName, minLevel: p.level, since: p.since?.milliseconds,
            until: p.until?.milliseconds,
            text: p.text, afterId: p.afterId, limit: Int(p.limit))
        return .read {
            do {
                guard let found = try await context.store.searchLogs(filter) else {
                    return .failure(.unknownRun(p.jobRunId ?? 0))
                }
                let logs = found.map { SearchedLogEntry(entry: $0.record, jobRunId: $0.runID, jobName: $0.jobName) }
                return .success(SearchLogsResult(logs: logs).json)
            } catch {
                return .failure(RPCError(error, logger: context.logger))
            }
        }
    }
}
