import JobLogJSON
import JobLogModel
import JobLogProtocol
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A transport-independent door to the router, for transports other than the Unix socket
/// (the HTTP service): the same handlers, the same permission policy, the same results.
///
/// A session is like one socket connection: it owns its `watch` subscriptions, which deliver
/// through `write` (each call gets whole event lines, newline-terminated, as on the socket).
/// Unlike a socket connection it does not order requests: each ``call(_:_:)`` is answered on
/// its own, a read as soon as the reader pool runs it, a write once committed.
public final class LocalSession: Sendable {
    private let context: RequestContext
    private let stats: ServerStats

    init(services: ConnectionServices, peer: PeerCredentials, write: @escaping @Sendable ([UInt8]) async throws -> Void)
    {
        let logger = services.logger
        stats = services.stats
        let watches = ConnectionWatches(hub: services.hub, logger: logger, write: write)
        context = RequestContext(
            store: services.store, peer: peer, version: services.configuration.version, logger: logger,
            rates: services.rates, connectionID: 0, watches: watches, pruner: services.pruner,
            permissions: services.store.permissions, cancels: services.cancels)
    }

    /// What a call returns: the method's result or error, and what to run once the answer is
    /// delivered (a `watch` starts its events then, so they follow the answer).
    public struct Answer: Sendable {
        public var result: Result<JSONValue, RPCError>
        public var afterDelivery: (@Sendable () -> Void)?
    }

    /// Routes one request and waits for its answer.
    public func call(_ method: Method, _ params: JSONObject) async -> Answer {
        stats.current?.message(method.rawValue, count: 1)
        let request = RPCRequest(method: method.rawValue, params: params, id: .number("1"))
        switch Router.route(request, context) {
        case .failure(let error):
            return Answer(result: .failure(error))
        case .success(.immediate(let result, let after, _)):
            return Answer(result: result, afterDelivery: after)
        case .success(.read(let read)):
            return Answer(result: await read())
        case .success(.write(let command, _, let respond)):
            return Answer(result: respond(await context.store.write(command, callerUid: context.peer?.uid)))
        }
    }

    /// Ends this session's subscriptions.
    public func close() {
        context.watches?.closeAll()
    }

    /// The daemon's own identity: what an HTTP token holder acts as.
    public static var daemonIdentity: PeerCredentials {
        PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
    }
}
