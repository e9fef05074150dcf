import JobLogProtocol

/// `watch`: subscribes this connection to committed events; delivery starts once the answer is written.
enum WatchHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try WatchParams(from: params)
        guard let watches = context.watches else { return .immediate(.failure(.internalError)) }
        let filter: Subscription.Filter =
            if let run = p.jobRunId { .run(run) } else if let job = p.jobName { .job(job) } else { .all }
        guard let (sub, start) = watches.watch(filter, minLevel: p.level) else {
            return .immediate(
                .failure(
                    .invalidParams(
                        field: "subscription", reason: "at most \(ConnectionWatches.maxPerConnection) per connection")))
        }
        return .immediate(
            .success(WatchResult(subscription: String(sub.id)).json), afterDelivery: start,
            onBarrierFailure: { _ = watches.unwatch(sub.id) })
    }
}
