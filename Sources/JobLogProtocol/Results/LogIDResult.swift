import JobLogJSON

/// The result of a log method sent as a request: the new entry's id.
public struct LogIDResult: RPCResult, Equatable {
    public var id: Int64

    public init(id: Int64) { self.id = id }

    public var json: JSONValue { .object(JSONObject([("id", .id(id))])) }

    public init(json: JSONValue) throws(ResultDecodingError) {
        id = try ResultReader(json).id("id")
    }
}
