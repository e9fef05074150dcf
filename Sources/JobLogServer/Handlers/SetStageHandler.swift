import JobLogProtocol

/// `setStage`.
enum SetStageHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try SetStageParams(from: params)
        return .write(.setStage(run: p.jobRunId, stage: p.stage, message: p.message), at: p.at)
    }
}
