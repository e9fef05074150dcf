import JobLogProtocol

/// `getProgress`.
enum GetProgressHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try RunParams(from: params)
        return .readRun(p.jobRunId, context) { ProgressResult(run: $0).json }
    }
}
