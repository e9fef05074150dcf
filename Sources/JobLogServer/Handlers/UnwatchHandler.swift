import JobLogProtocol

/// `unwatch`.
enum UnwatchHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try UnwatchParams(from: params)
        guard let id = UInt64(p.subscription), context.watches?.unwatch(id) == true else {
            return .immediate(.failure(.unknownSubscription(p.subscription)))
        }
        return .immediate(.success(EmptyResult().json))
    }
}
