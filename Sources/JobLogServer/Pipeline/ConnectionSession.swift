import JobLogProtocol
import JobLogStore

/// A connection's client session (protocol version 2): after `hello`, every message the
/// connection reads (requests, notifications, batch members, invalid lines; not `hello`) is
/// numbered 1, 2, 3, …; the writer adds the session's count at `hello` to get its number in
/// the session. Without `hello` nothing is numbered and the connection behaves as in version 1.
///
/// A value confined to the connection's event loop.
struct ConnectionSession {
    private(set) var link: SessionLink?
    /// Messages read since the `hello`.
    private(set) var seq: Int64 = 0

    /// A `hello`: numbering starts again. Sessions are kept per uid (the kernel's word for the
    /// peer), so another user naming the same session id cannot disturb its count.
    mutating func start(_ params: HelloParams, uid: UInt32?) -> SessionLink {
        let key = uid.map { "\($0)/\(params.session)" } ?? params.session
        let link = SessionLink(id: key, firstSeq: params.firstSeq)
        self.link = link
        seq = 0
        return link
    }

    /// Counts one message.
    mutating func count() {
        if link != nil { seq += 1 }
    }

    /// Marks a write as the current message of the session.
    func tag(_ op: inout WriteOp) {
        guard let link else { return }
        op.session = link
        op.seq = seq
    }
}
