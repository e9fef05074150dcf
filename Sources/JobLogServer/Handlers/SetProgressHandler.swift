import JobLogProtocol

/// `setProgress`.
enum SetProgressHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try SetProgressParams(from: params)
        return .write(.setProgress(run: p.jobRunId, current: p.current), at: p.at)
    }
}
