import JobLogJSON

/// A well-formed JSON-RPC request or notification.
public struct RPCRequest: Sendable {
    /// The method name as sent (it may name no method).
    public var method: String
    /// The named params (`{}` when omitted).
    public var params: JSONObject
    /// The id; nil for a notification.
    public var id: RequestID?
    /// True when `params` was sent as an array (by-position params, which no method takes):
    /// the request is answered `-32602 invalid params`, a notification is refused.
    public var positionalParams = false

    public init(method: String, params: JSONObject = JSONObject(), id: RequestID?) {
        self.method = method
        self.params = params
        self.id = id
    }

    /// True when no response may be sent.
    public var isNotification: Bool { id == nil }

    /// The request as one wire line (with the trailing newline).
    public var line: [UInt8] {
        var writer = JSONWriter(capacity: 128)
        write(into: &writer)
        writer.bytes.append(0x0A)
        return writer.bytes
    }

    /// Appends the request (without newline) to a writer.
    public func write(into writer: inout JSONWriter) {
        writer.append("{\"jsonrpc\":\"2.0\",\"method\":")
        writer.writeString(method)
        if !params.members.isEmpty {
            writer.append(",\"params\":")
            writer.write(.object(params))
        }
        if let id {
            writer.append(",\"id\":")
            writer.write(id.json)
        }
        writer.append("}")
    }

    /// A request for a typed method call.
    public init<P: RPCParams>(_ method: Method, _ params: P, id: RequestID?) {
        self.init(method: method.rawValue, params: params.json, id: id)
    }
}
