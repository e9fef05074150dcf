import JobLogProtocol

/// `ping`: the versions; like every request, a barrier for what came before it.
enum PingHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Routed {
        .immediate(.success(PingResult(version: context.version).json), afterWrite: nil)
    }
}
