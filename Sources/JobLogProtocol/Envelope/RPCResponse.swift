import JobLogJSON

/// Encodes responses (server side) and decodes them (client side).
public enum RPCResponse {
    /// A success response line, without the newline.
    public static func success(_ result: JSONValue, id: RequestID) -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.append("{\"jsonrpc\":\"2.0\",\"result\":")
        writer.write(result)
        writer.append(",\"id\":")
        writer.write(id.json)
        writer.append("}")
        return writer.bytes
    }

    /// An error response line, without the newline.
    public static func failure(_ error: RPCError, id: RequestID) -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.append("{\"jsonrpc\":\"2.0\",\"error\":")
        writer.write(error.json)
        writer.append(",\"id\":")
        writer.write(id.json)
        writer.append("}")
        return writer.bytes
    }

    /// A batch response: the members' lines joined into one array.
    public static func batch(_ members: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, m) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: m)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// A notification from the server (an event), without the newline.
    public static func notification(method: String, params: JSONValue) -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.append("{\"jsonrpc\":\"2.0\",\"method\":")
        writer.writeString(method)
        writer.append(",\"params\":")
        writer.write(params)
        writer.append("}")
        return writer.bytes
    }
}
