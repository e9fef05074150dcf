import JobLogProtocol

/// `saveOutcome`: the counters into `metadata.outcome`.
enum SaveOutcomeHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try RunParams(from: params)
        return .writeReturningOutcome(.saveOutcome(run: p.jobRunId))
    }
}
