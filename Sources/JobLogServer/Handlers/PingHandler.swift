import JobLogProtocol

/// `ping`: the versions; like every request, a barrier for what came before it.
/// With `rejected: true` it also reports the notifications of this connection that the
/// daemon refused since the previous such `ping` (so it runs as a read: after the writer
/// has judged every earlier notification).
enum PingHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        guard try params.bool("rejected") == true, let tracker = context.tracker else {
            return .immediate(.success(PingResult(version: context.version).json))
        }
        return .read {
            let r = tracker.takeRejections()
            return .success(PingResult(version: context.version, rejected: r.count, lastRejection: r.last).json)
        }
    }
}
