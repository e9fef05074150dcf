import JobLogProtocol

/// `unwatch`.
enum UnwatchHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Routed {
        let p = try UnwatchParams(from: params)
        guard let id = UInt64(p.subscription), context.watches?.unwatch(id) == true else {
            return .immediate(.failure(.unknownSubscription(p.subscription)), afterWrite: nil)
        }
        return .immediate(.success(EmptyResult().json), afterWrite: nil)
    }
}
