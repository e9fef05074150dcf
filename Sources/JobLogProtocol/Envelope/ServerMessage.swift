import JobLogJSON

/// What a client reads from one line: a response to one of its requests, or a server notification.
public enum ServerMessage: Sendable {
    case response(id: RequestID, result: Result<JSONValue, RPCError>)
    case batch([ServerMessage])
    case notification(method: String, params: JSONValue)

    /// Decodes one line sent by the daemon.
    public static func decode(line: [UInt8]) throws(JSONParseError) -> ServerMessage {
        let value = try JSONParser.parse(line)
        if case .array(let members) = value {
            return .batch(members.compactMap { try? decode(value: $0) })
        }
        do {
            return try decode(value: value)
        } catch {
            throw JSONParseError("not a JSON-RPC response", at: 0)
        }
    }

    private struct NotAResponse: Error {}

    private static func decode(value: JSONValue) throws -> ServerMessage {
        guard case .object(let o) = value else { throw NotAResponse() }
        if let method = o["method"]?.stringValue {
            return .notification(method: method, params: o["params"] ?? .null)
        }
        let id = o["id"].flatMap(RequestID.init(json:)) ?? .null
        if let result = o["result"] { return .response(id: id, result: .success(result)) }
        if let e = o["error"], let error = RPCError(json: e) { return .response(id: id, result: .failure(error)) }
        throw NotAResponse()
    }
}
