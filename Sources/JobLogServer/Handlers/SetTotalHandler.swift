import JobLogProtocol

/// `setTotal`.
enum SetTotalHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try SetTotalParams(from: params)
        return .write(.setTotal(run: p.jobRunId, total: p.total, unit: p.unit), at: p.at)
    }
}
