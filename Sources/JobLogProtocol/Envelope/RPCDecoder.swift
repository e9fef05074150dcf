import JobLogJSON

/// Decodes lines from the socket into requests. The server's only JSON-RPC entry point.
public enum RPCDecoder {
    /// The most members a batch may hold.
    public static let maxBatchMembers = 10_000

    /// Decodes one line (without its newline).
    public static func decode(line: UnsafeRawBufferPointer) -> IncomingLine {
        var first = 0
        while first < line.count,
            line[first] == 0x20 || line[first] == 0x09 || line[first] == 0x0D || line[first] == 0x0A
        {
            first += 1
        }
        if first == line.count { return .blank }
        if first == 0, let increment = IncrementLine.parse(line) { return .incrementProgress(increment) }
        let isBatch = line[first] == UInt8(ascii: "[")
        let value: JSONValue
        do {
            // Keep the values of params' members raw: context and params are never materialised.
            value = try JSONParser.parse(line, rawDepth: isBatch ? 4 : 3)
        } catch {
            return .failure(.parseError(error.description))
        }
        if case .array(let members) = value {
            if members.isEmpty { return .failure(.invalidRequest("empty batch")) }
            if members.count > maxBatchMembers {
                return .failure(.invalidRequest("batch of more than \(maxBatchMembers) members"))
            }
            return .batch(members.map(message))
        }
        return .single(message(value))
    }

    /// Decodes one line from an array.
    public static func decode(line: [UInt8]) -> IncomingLine {
        line.withUnsafeBytes { decode(line: $0) }
    }

    static func message(_ value: JSONValue) -> IncomingMessage {
        guard case .object(let envelope) = value else {
            return .invalid(.invalidRequest("not an object"), id: .null)
        }
        // One pass over the members (the last of a duplicated name wins, as in JSONObject).
        var rawID: JSONValue?
        var version: JSONValue?
        var methodValue: JSONValue?
        var rawParams: JSONValue?
        // By length first: a comparison of two different strings is a call, equal lengths are rare.
        for member in envelope.members {
            switch member.key.utf8.count {
            case 2: if member.key == "id" { rawID = member.value }
            case 7: if member.key == "jsonrpc" { version = member.value }
            case 6:
                if member.key.utf8.first == UInt8(ascii: "m") {
                    if member.key == "method" { methodValue = member.value }
                } else if member.key == "params" {
                    rawParams = member.value
                }
            default: continue
            }
        }
        var id: RequestID? = nil
        if let rawID {
            guard let parsed = RequestID(json: rawID) else {
                return .invalid(.invalidRequest("id must be a string, a number or null"), id: .null)
            }
            id = parsed
        }
        let echo = id ?? .null
        guard case .string("2.0")? = version else {
            return .invalid(.invalidRequest("jsonrpc must be \"2.0\""), id: echo)
        }
        guard case .string(let method)? = methodValue else {
            return .invalid(.invalidRequest("method must be a string"), id: echo)
        }
        var params = JSONObject()
        var positional = false
        if let rawParams {
            switch rawParams {
            case .object(let object): params = object
            // By-position params are valid JSON-RPC 2.0, but every method takes named params.
            case .array: positional = true
            default: return .invalid(.invalidRequest("params must be an object"), id: echo)
            }
        }
        var request = RPCRequest(method: method, params: params, id: id)
        request.positionalParams = positional
        return .request(request)
    }
}
