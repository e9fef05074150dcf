import JobLogJSON

/// `hello`'s result: the session and how many of its messages are committed.
public struct HelloResult: RPCResult, Equatable {
    public var session: String
    /// The number of the session's messages whose effects are committed; the connection's next
    /// message is number `applied + 1`.
    public var applied: Int64

    public init(session: String, applied: Int64) {
        self.session = session
        self.applied = applied
    }

    public var json: JSONValue {
        .object(JSONObject([("session", .string(session)), ("applied", .int(applied))]))
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(json)
        session = try r.string("session")
        applied = try r.int("applied")
    }
}
