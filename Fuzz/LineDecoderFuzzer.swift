// libFuzzer target for the daemon's line decoder and JSON parser (built by Fuzz/run.sh,
// not by SwiftPM). Besides "never crashes", it checks properties on every input:
//
// - RPCDecoder.decode(line:) answers every line: blank, a parse failure, one message or a batch;
//   the answer it implies (an error or a result with the message's id) is valid JSON.
// - JSONParser: what parses also parses with members kept raw (the daemon's mode) and vice
//   versa; a raw member's text parses on its own to the same value; writing a parsed value
//   and parsing it again gives the same value.

import JobLogJSON
import JobLogProtocol

#if canImport(Glibc)
    import Glibc
#endif

private func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    guard !condition else { return }
    fputs("property violated: \(what())\n", stderr)
    abort()
}

private func parses(_ bytes: [UInt8]) -> JSONValue? { try? JSONParser.parse(bytes) }

/// The value with every raw member parsed, for comparison with a full parse.
private func materialized(_ value: JSONValue) -> JSONValue? {
    switch value {
    case .raw(let raw):
        guard let parsed = raw.parsed() else { return nil }
        return materialized(parsed)
    case .array(let members):
        var out: [JSONValue] = []
        for m in members {
            guard let v = materialized(m) else { return nil }
            out.append(v)
        }
        return .array(out)
    case .object(let object):
        var pairs: [(String, JSONValue)] = []
        for (k, v) in object.members {
            guard let mv = materialized(v) else { return nil }
            pairs.append((k, mv))
        }
        return .object(JSONObject(pairs))
    default:
        return value
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    // The decoder, on the bytes as one line (the framer never passes a newline, but the decoder must not care).
    switch RPCDecoder.decode(line: bytes) {
    case .blank:
        check(bytes.allSatisfy { [0x20, 0x09, 0x0D, 0x0A].contains($0) }, "non-blank line decoded as blank")
    case .failure(let error):
        check(parses(RPCResponse.failure(error, id: .null)) != nil, "error answer is not JSON")
    case .single(let message):
        checkAnswer(message)
    case .batch(let messages):
        check(!messages.isEmpty && messages.count <= RPCDecoder.maxBatchMembers, "batch size")
        for m in messages { checkAnswer(m) }
    }

    // The parser: full and raw modes agree, and values round-trip through the writer.
    let full = try? JSONParser.parse(bytes)
    for rawDepth in 1...3 {
        let raw = try? JSONParser.parse(bytes, rawDepth: rawDepth)
        check((full == nil) == (raw == nil), "rawDepth \(rawDepth) disagrees with the full parse")
        if let raw, let full { check(materialized(raw) == full, "raw members at depth \(rawDepth) differ") }
    }
    if let full {
        let written = JSONWriter.encode(full)
        check(parses(written) == full, "writer output does not parse back to the same value")
    }
    return 0
}

private func checkAnswer(_ message: IncomingMessage) {
    switch message {
    case .invalid(let error, let id):
        check(parses(RPCResponse.failure(error, id: id)) != nil, "invalid-request answer is not JSON")
    case .request(let request):
        if let id = request.id {
            let answer = RPCResponse.success(.object(request.params), id: id)
            check(parses(answer) != nil, "an answer echoing the id and params is not JSON")
        }
    }
}
