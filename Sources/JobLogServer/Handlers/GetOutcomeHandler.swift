import JobLogProtocol

/// `getOutcome`.
enum GetOutcomeHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try RunParams(from: params)
        return .readRun(p.jobRunId, context) { OutcomeResult(run: $0).json }
    }
}
