import JobLogProtocol

/// `finishRun`.
enum FinishRunHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try FinishRunParams(from: params)
        return .writeReturningOutcome(
            .finish(run: p.jobRunId, status: p.status, errorMessage: p.errorMessage, errorStack: p.errorStack))
    }
}
