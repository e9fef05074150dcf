#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A strict RFC 8259 parser working directly on bytes.
///
/// - Input must be UTF-8; it is validated once up front, so strings without
///   escapes are made with a single copy.
/// - Nesting is limited (``maxDepth``): 100,000 open brackets are an error, not a
///   stack overflow.
/// - Objects and arrays at `rawDepth` (1 is the top level) are validated but
///   kept as text (``JSONValue/raw(_:)``): the daemon never materialises a
///   job's `context`.
public struct JSONParser: ~Copyable {
    /// The deepest nesting accepted anywhere in a document.
    public static let maxDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private let rawDepth: Int

    private init(bytes: UnsafeRawBufferPointer, rawDepth: Int) {
        self.bytes = bytes
        self.rawDepth = rawDepth
    }

    /// Parses one complete JSON document (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer, rawDepth: Int = 0) throws(JSONParseError) -> JSONValue {
        if let bad = UTF8Validator.firstInvalidOffset(bytes) {
            throw JSONParseError("invalid UTF-8", at: bad)
        }
        var parser = JSONParser(bytes: bytes, rawDepth: rawDepth)
        parser.skipWhitespace()
        guard parser.index < bytes.count else { throw JSONParseError("empty document", at: 0) }
        let value = try parser.parseValue(depth: 1)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw JSONParseError("trailing characters", at: parser.index) }
        return value
    }

    /// Parses one complete JSON document from an array of bytes.
    public static func parse(_ bytes: [UInt8], rawDepth: Int = 0) throws(JSONParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeBytes { buffer in try parse(buffer, rawDepth: rawDepth) }
        } catch let error as JSONParseError {
            throw error
        } catch {
            throw JSONParseError("unreadable", at: 0)
        }
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw JSONParseError("unexpected end", at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            if depth == rawDepth {
                let start = index
                let isObject = bytes[index] == UInt8(ascii: "{")
                let innerDepth = try skipContainer(depth: depth)
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                return .raw(RawJSON(validatedText: text, depth: innerDepth, isObject: isObject))
            }
            if bytes[index] == UInt8(ascii: "{") { return .object(try parseObject(depth: depth)) }
            return .array(try parseArray(depth: depth))
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw JSONParseError("unexpected character", at: index)
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
        guard depth <= Self.maxDepth else { throw JSONParseError("too deep", at: index) }
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return object
        }
        // Room for a protocol envelope or params at once, instead of growing 1, 2, 4.
        object.members.reserveCapacity(4)
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw JSONParseError("expected a member name", at: index) }
            let key = try parseKey()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw JSONParseError("expected ':'", at: index) }
            index += 1
            skipWhitespace()
            let value: JSONValue
            if Self.isMethodOrVersion(key) && peek() == UInt8(ascii: "\"") {
                value = .string(try parseKey())
            } else {
                value = try parseValue(depth: depth + 1)
            }
            object.append(key, value)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return object
            default: throw JSONParseError("expected ',' or '}'", at: index)
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        guard depth <= Self.maxDepth else { throw JSONParseError("too deep", at: index) }
        index += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return array
        }
        while true {
            skipWhitespace()
            array.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return array
            default: throw JSONParseError("expected ',' or ']'", at: index)
            }
        }
    }

    /// Validates a container without building it; returns its nesting depth
    /// (relative: `{}` is 1). Iterative, so depth costs no stack.
    private mutating func skipContainer(depth: Int) throws(JSONParseError) -> Int {
        var stack = BracketStack()
        var deepest = 0
        // States: expecting a value, or after a value.
        var expectingValue = true
        var allowClose = false
        var expectingKey = false
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError("unexpected end", at: index) }
            let byte = bytes[index]
            if expectingKey {
                if byte == UInt8(ascii: "}") && allowClose {
                    index += 1
                    stack.removeLast()
                } else {
                    guard byte == UInt8(ascii: "\"") else { throw JSONParseError("expected a member name", at: index) }
                    try skipString()
                    skipWhitespace()
                    guard peek() == UInt8(ascii: ":") else { throw JSONParseError("expected ':'", at: index) }
                    index += 1
                    expectingKey = false
                    expectingValue = true
                    allowClose = false
                    continue
                }
            } else if expectingValue {
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    stack.append(byte)
                    deepest = max(deepest, stack.count)
                    guard depth + stack.count - 1 <= Self.maxDepth else { throw JSONParseError("too deep", at: index) }
                    index += 1
                    if byte == UInt8(ascii: "{") {
                        expectingKey = true
                        allowClose = true
                    } else {
                        expectingValue = true
                        allowClose = true
                    }
                    continue
                case UInt8(ascii: "]") where allowClose && stack.last == UInt8(ascii: "["):
                    index += 1
                    stack.removeLast()
                case UInt8(ascii: "\""): try skipString()
                case UInt8(ascii: "t"): try expectLiteral("true")
                case UInt8(ascii: "f"): try expectLiteral("false")
                case UInt8(ascii: "n"): try expectLiteral("null")
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try scanNumber()
                default: throw JSONParseError("unexpected character", at: index)
                }
            } else {
                // After a value inside a container.
                switch byte {
                case UInt8(ascii: ","):
                    index += 1
                    if stack.last == UInt8(ascii: "{") {
                        expectingKey = true
                    } else {
                        expectingValue = true
                    }
                    allowClose = false
                    continue
                case UInt8(ascii: "}") where stack.last == UInt8(ascii: "{"):
                    index += 1
                    stack.removeLast()
                case UInt8(ascii: "]") where stack.last == UInt8(ascii: "["):
                    index += 1
                    stack.removeLast()
                default: throw JSONParseError("expected ',' or a closing bracket", at: index)
                }
            }
            // A value (or a container) just ended.
            if stack.isEmpty { return deepest }
            expectingValue = false
            expectingKey = false
            allowClose = false
        }
    }

    // MARK: - Tokens

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw JSONParseError("unexpected end", at: index) }
        let base = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != base[offset] {
            throw JSONParseError("invalid literal", at: index + offset)
        }
        index += count
    }

    /// Scans a number and returns its range.
    private mutating func scanNumber() throws(JSONParseError) -> Range<Int> {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else {
            throw JSONParseError("invalid number", at: index)
        }
        if first == 0x30 {
            index += 1
        } else {
            while let d = peek(), d >= 0x30, d <= 0x39 { index += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let d = peek(), d >= 0x30, d <= 0x39 else { throw JSONParseError("invalid number", at: index) }
            while let d = peek(), d >= 0x30, d <= 0x39 { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let d = peek(), d >= 0x30, d <= 0x39 else { throw JSONParseError("invalid number", at: index) }
            while let d = peek(), d >= 0x30, d <= 0x39 { index += 1 }
        }
        return start..<index
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let range = try scanNumber()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Skips a string, validating escapes and control characters.
    private mutating func skipString() throws(JSONParseError) {
        var scratch: [UInt8] = []
        index += 1
        while index < bytes.count {
            index = plainEnd(from: index)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                try parseEscape(into: &scratch)
                scratch.removeAll(keepingCapacity: true)
            case 0..<0x20:
                throw JSONParseError("control character in string", at: index)
            default:
                index += 1
            }
        }
        throw JSONParseError("unterminated string", at: index)
    }

    /// `method` or `jsonrpc`, whose string values are interned too. Length and first byte
    /// first: comparing two different strings is a call.
    private static func isMethodOrVersion(_ key: String) -> Bool {
        switch key.utf8.count {
        case 6: return key.utf8.first == UInt8(ascii: "m") && key == "method"
        case 7: return key.utf8.first == UInt8(ascii: "j") && key == "jsonrpc"
        default: return false
        }
    }

    /// A member name: the protocol's own names come from constants (no copy, no UTF-8 check).
    private mutating func parseKey() throws(JSONParseError) -> String {
        let start = index + 1
        let end = plainEnd(from: start)
        if end < bytes.count, bytes[end] == UInt8(ascii: "\""), end - start <= 17,
            let known = Self.knownKey(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        {
            index = end + 1
            return known
        }
        return try parseString()
    }

    /// The member names of every request and the hot methods' names, matched by length and bytes.
    private static func knownKey(_ key: UnsafeRawBufferPointer) -> String? {
        func matches(_ literal: StaticString) -> Bool {
            memcmp(literal.utf8Start, key.baseAddress!, key.count) == 0
        }
        switch key.count {
        case 2: return matches("id") ? "id" : nil
        case 3: return matches("2.0") ? "2.0" : nil
        case 4:
            if matches("info") { return "info" }
            return matches("ping") ? "ping" : nil
        case 5:
            if matches("level") { return "level" }
            if matches("debug") { return "debug" }
            return matches("error") ? "error" : nil
        case 6: return matches("method") ? "method" : (matches("params") ? "params" : nil)
        case 7:
            if matches("jsonrpc") { return "jsonrpc" }
            if matches("message") { return "message" }
            if matches("context") { return "context" }
            return matches("warning") ? "warning" : nil
        case 8: return matches("jobRunId") ? "jobRunId" : nil
        case 9: return matches("milestone") ? "milestone" : nil
        case 11: return matches("setProgress") ? "setProgress" : nil
        case 17: return matches("incrementProgress") ? "incrementProgress" : nil
        default: return nil
        }
    }

    /// The offset of the first `"`, `\` or control character at or after `from` (the count if
    /// none): eight bytes at a time while none of them is one.
    private func plainEnd(from: Int) -> Int {
        var i = from
        let n = bytes.count
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= n {
            let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let quote = w ^ (ones &* 0x22)
            let backslash = w ^ (ones &* 0x5C)
            // Exact test for "some byte is zero" (after the xor) or "some byte is below 0x20".
            let found =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- ones &* 0x20) & ~w)
            if found & highs != 0 { break }
            i += 8
        }
        while i < n {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return i }
            i += 1
        }
        return n
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        index = plainEnd(from: index)
        if index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return s
            }
            if byte < 0x20 { throw JSONParseError("control character in string", at: index) }
        }
        var scalars: [UInt8] = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &scalars)
            case 0..<0x20:
                throw JSONParseError("control character in string", at: index)
            default:
                scalars.append(byte)
                index += 1
            }
        }
        throw JSONParseError("unterminated string", at: index)
    }

    /// Parses one escape sequence at `index` (which points at the backslash).
    private mutating func parseEscape(into output: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else { throw JSONParseError("unterminated string", at: index) }
        let c = bytes[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""): output.append(0x22)
        case UInt8(ascii: "\\"): output.append(0x5C)
        case UInt8(ascii: "/"): output.append(0x2F)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else {
                    throw JSONParseError("lone surrogate", at: escapeStart)
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError("lone surrogate", at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONParseError("lone surrogate", at: escapeStart)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw JSONParseError("invalid escape", at: escapeStart) }
            if let encoded = UTF8.encode(unicode) { output.append(contentsOf: encoded) }
        default:
            throw JSONParseError("invalid escape", at: escapeStart)
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONParseError("invalid escape", at: index) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let h = bytes[index]
            let digit: UInt32
            switch h {
            case 0x30...0x39: digit = UInt32(h - 0x30)
            case 0x41...0x46: digit = UInt32(h - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(h - 0x61 + 10)
            default: throw JSONParseError("invalid escape", at: index)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

/// The open brackets of a container being skipped: the first 64 in a bit set (no allocation
/// for any context a job sends), deeper ones in an array.
private struct BracketStack {
    private var objects: UInt64 = 0
    private var deeper: [UInt8] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The innermost open bracket (`{` or `[`), nil when none is open.
    var last: UInt8? {
        if count == 0 { return nil }
        if count > 64 { return deeper.last }
        return objects & (1 << UInt64(count - 1)) != 0 ? UInt8(ascii: "{") : UInt8(ascii: "[")
    }

    mutating func append(_ bracket: UInt8) {
        if count >= 64 {
            deeper.append(bracket)
        } else if bracket == UInt8(ascii: "{") {
            objects |= 1 << UInt64(count)
        } else {
            objects &= ~(1 << UInt64(count))
        }
        count += 1
    }

    mutating func removeLast() {
        if count > 64 { deeper.removeLast() }
        count -= 1
    }
}
