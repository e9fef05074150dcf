import JobLogProtocol

/// `getRun`.
enum GetRunHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try RunParams(from: params)
        return .readRun(p.jobRunId, context) { RunResult(run: $0).json }
    }
}
