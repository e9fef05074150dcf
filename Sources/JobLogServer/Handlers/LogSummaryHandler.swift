import JobLogProtocol

/// `logSummary`: saves the outcome and writes the summary entry.
enum LogSummaryHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try RunParams(from: params)
        return .writeReturningOutcome(.logSummary(run: p.jobRunId))
    }
}
