import JobLogProtocol

/// Why a client call failed.
public enum JobLogClientError: Error, Sendable, CustomStringConvertible {
    /// Nothing answers on the socket (within the connect timeout); `reason` says why
    /// (`no such file`, `not a socket`, `nobody listening`, `permission denied`, ...).
    case daemonUnreachable(socket: String, reason: String)
    /// The daemon answered with an error.
    case rpc(RPCError)
    /// The answer could not be read.
    case badResponse(String)
    /// The client was closed, or the message was dropped while the daemon was away too long.
    case closed
    case timedOut

    public var description: String {
        switch self {
        case .daemonUnreachable(let socket, let reason):
            "daemon unreachable at \(socket) (\(reason)); start it with: joblogd --socket \(socket)"
        case .rpc(let e):
            "joblogd: \(e.message) (\(e.code))\(e.data.map { " " + String(describing: $0.materialized) } ?? "")"
        case .badResponse(let why): "unexpected answer from joblogd: \(why)"
        case .closed: "the joblogd client is closed"
        case .timedOut: "joblogd did not answer in time"
        }
    }
}
