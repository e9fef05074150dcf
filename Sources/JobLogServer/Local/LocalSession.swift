import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A transport-independent door to the router, for transports other than the Unix socket
/// (the HTTP service): the same ``RequestPipeline``, handlers, permission policy and results.
///
/// A session is like one socket connection: it owns its `watch` subscriptions, which deliver
/// through `write` (each call gets whole events: newline-terminated lines, as on the socket, or
/// WebSocket text frames; ``EventFraming``).
/// A live view's subscriptions may be given a log rate (``LogPace``): past it, entries are told
/// as `lagged` instead of sent. Unlike a socket connection it does not order requests: each ``call(_:_:)`` is answered on
/// its own, a read as soon as the reader pool runs it, a write once committed (so `hello`
/// starts no numbered session here).
public final class LocalSession: Sendable {
    private let pipeline: Mutex<RequestPipeline>
    private let store: JobLogStore
    private let watches: ConnectionWatches

    init(
        services: ConnectionServices, peer: PeerCredentials, logRate: Int?, framing: EventFraming,
        write: @escaping @Sendable ([UInt8]) async throws -> Void
    ) {
        store = services.store
        watches = ConnectionWatches(
            hub: services.hub, logger: services.logger, logRate: logRate, framing: framing, write: write)
        let context = RequestContext(
            services: services, peer: peer, connectionID: 0, logger: services.logger, watches: watches)
        pipeline = Mutex(RequestPipeline(context: context, stats: services.stats, numbersMessages: false))
    }

    /// What a call returns: the method's result or error, and what to run once the answer is
    /// delivered (a `watch` starts its events then, so they follow the answer).
    public struct Answer: Sendable {
        public var result: Result<JSONValue, RPCError>
        public var afterDelivery: (@Sendable () -> Void)?
    }

    /// Routes one request and waits for its answer.
    public func call(_ method: Method, _ params: JSONObject) async -> Answer {
        let request = RPCRequest(method: method.rawValue, params: params, id: .number("1"))
        let (plan, writes) = pipeline.withLock { pipeline in
            var ops: [WriteOp] = []
            let plan = pipeline.plan(.request(request), now: .now(), ops: &ops).plan
            pipeline.reportCounted()
            return (plan, ops)
        }
        guard let (result, after) = await plan.answer(queuing: writes, to: store) else {
            return Answer(result: .failure(.internalError))
        }
        return Answer(result: result, afterDelivery: after)
    }

    /// Ends this session's subscriptions.
    public func close() {
        watches.closeAll()
    }

    /// The daemon's own identity: what an HTTP token holder acts as.
    public static var daemonIdentity: PeerCredentials {
        PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
    }
}
