import JobLogJSON

/// Params of a method that takes none (`ping`).
public struct EmptyParams: RPCParams, Equatable {
    public init() {}
    public init(from reader: ParamReader) throws(RPCError) {}
    public var json: JSONObject { JSONObject() }
}
