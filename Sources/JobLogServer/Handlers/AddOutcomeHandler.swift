import JobLogProtocol

/// `addOutcome`.
enum AddOutcomeHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try AddOutcomeParams(from: params)
        return .write(.addOutcome(run: p.jobRunId, key: p.key, count: p.count))
    }
}
