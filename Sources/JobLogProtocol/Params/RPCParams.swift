import JobLogJSON

/// The typed params of one method: read from a request (server), written into one (client).
public protocol RPCParams: Sendable {
    /// Reads and validates the params, in the order the method declares them.
    init(from reader: ParamReader) throws(RPCError)
    /// The params as a JSON object.
    var json: JSONObject { get }
}

extension RPCParams {
    /// Reads params from a request's object.
    public init(params: JSONObject) throws(RPCError) {
        try self.init(from: ParamReader(params))
    }
}

/// Builds a params object, leaving out nil members.
struct ParamsBuilder {
    var object = JSONObject()
    mutating func add(_ key: String, _ value: JSONValue?) {
        if let value { object.append(key, value) }
    }
    mutating func add(_ key: String, _ value: String?) {
        if let value { object.append(key, .string(value)) }
    }
    mutating func add(_ key: String, _ value: Int64?) {
        if let value { object.append(key, .int(value)) }
    }
    mutating func add(_ key: String, _ value: RawJSON?) {
        if let value { object.append(key, .raw(value)) }
    }
}
