import JobLogProtocol

/// `watch`: subscribes this connection to committed events; delivery starts once the answer is written.
enum WatchHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Routed {
        let p = try WatchParams(from: params)
        guard let watches = context.watches else { return .immediate(.failure(.internalError), afterWrite: nil) }
        let filter: Subscription.Filter =
            if let run = p.jobRunId { .run(run) } else if let job = p.jobName { .job(job) } else { .all }
        guard let (sub, start) = watches.watch(filter, minLevel: p.level) else {
            return .immediate(
                .failure(
                    .invalidParams(
                        field: "subscription", reason: "at most \(ConnectionWatches.maxPerConnection) per connection")),
                afterWrite: nil)
        }
        return .immediate(
            .success(WatchResult(subscription: String(sub.id)).json), afterWrite: start,
            onBarrierFailure: { _ = watches.unwatch(sub.id) })
    }
}
