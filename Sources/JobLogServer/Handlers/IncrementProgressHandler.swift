import JobLogProtocol

/// `incrementProgress`.
enum IncrementProgressHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try IncrementProgressParams(from: params)
        return .write(.incrementProgress(run: p.jobRunId, by: p.by), at: p.at)
    }
}
