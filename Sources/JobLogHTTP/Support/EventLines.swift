import JobLogJSON

/// Socket event lines (`{"jsonrpc":"2.0","method":"event","params":{…}}\n`, one or more per
/// chunk, as a subscription delivers them) turned into what HTTP clients get.
enum EventLines {
    /// The `params` object of each line, as bytes, without re-encoding: the line minus the
    /// envelope's head and its closing brace.
    static func params(_ chunk: [UInt8]) -> [ArraySlice<UInt8>] {
        let head = Array(#"{"jsonrpc":"2.0","method":"event","params":"#.utf8)
        var out: [ArraySlice<UInt8>] = []
        for line in chunk.split(separator: 0x0A) where line.count > head.count + 1 {
            guard line.starts(with: head) else { continue }
            out.append(line[(line.startIndex + head.count)..<(line.endIndex - 1)])
        }
        return out
    }

    /// One Server-Sent Event for an event's params: `event: TYPE`, `id: LOGID` for a `log`,
    /// `data: PARAMS` without `subscription`. Nil when the params cannot be read.
    static func serverSentEvent(_ params: ArraySlice<UInt8>, skipLogsUpTo replayed: Int64 = 0) -> [UInt8]? {
        guard case .object(var o)? = try? JSONParser.parse(Array(params)),
            case .string(let type)? = o["type"]
        else { return nil }
        o.members.removeAll { $0.key == "subscription" }
        var logID: Int64?
        if type == "log", case .object(let log)? = o["log"], case .string(let id)? = log["id"] {
            logID = Int64(id)
            if let logID, logID <= replayed { return [] }
        }
        return frame(type: type, id: logID, data: .object(o))
    }

    /// `event:`/`id:`/`data:` lines and the blank line that ends an event.
    static func frame(type: String, id: Int64?, data: JSONValue) -> [UInt8] {
        var out = Array("event: \(type)\n".utf8)
        if let id { out += Array("id: \(id)\n".utf8) }
        out += Array("data: ".utf8)
        out += JSONWriter.encode(data)
        out += Array("\n\n".utf8)
        return out
    }
}
