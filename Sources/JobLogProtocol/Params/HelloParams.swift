import JobLogJSON

/// `hello`: starts or resumes a client session on this connection (protocol version 2).
///
/// The messages of a session are numbered 1, 2, 3, … across all its connections; after `hello`
/// the daemon takes the connection's next message to be number `applied + 1`.
public struct HelloParams: RPCParams, Equatable {
    /// The client-chosen session id: 16–64 characters of `[A-Za-z0-9_-]`.
    public var session: String
    /// The number of the oldest message the client still holds (1 for a new session).
    public var firstSeq: Int64
    /// This connection takes the `cancel` notification of every run it starts or writes to
    /// (as `startRun`'s `acceptsCancel` does for one run): after a reconnect, a job still hears
    /// of a cancel request, including one made while it was away.
    public var acceptsCancel: Bool

    public init(session: String, firstSeq: Int64 = 1, acceptsCancel: Bool = false) {
        self.session = session
        self.firstSeq = firstSeq
        self.acceptsCancel = acceptsCancel
    }

    public init(from r: ParamReader) throws(RPCError) {
        let id = try r.requiredString("session", maxBytes: 1024)
        guard Self.isValidSession(id) else {
            throw .invalidParams(field: "session", reason: "must be 16-64 characters of [A-Za-z0-9_-]")
        }
        session = id
        firstSeq = try r.int("firstSeq", in: 1...(Int64.max - 1)) ?? 1
        acceptsCancel = try r.bool("acceptsCancel") ?? false
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("session", session)
        b.add("firstSeq", firstSeq)
        if acceptsCancel { b.add("acceptsCancel", JSONValue.bool(true)) }
        return b.object
    }

    /// 16–64 characters of `[A-Za-z0-9_-]`.
    public static func isValidSession(_ s: String) -> Bool {
        let bytes = s.utf8
        guard (16...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
        }
    }
}
