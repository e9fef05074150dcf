import JobLogJSON

/// Reads typed params from a request's named params, throwing `invalid params`
/// with the field and a fixed reason phrase.
public struct ParamReader: Sendable {
    public let object: JSONObject

    public init(_ object: JSONObject) { self.object = object }

    static func invalid(_ field: String, _ reason: String) -> RPCError {
        .invalidParams(field: field, reason: reason)
    }

    /// A string of at most `maxBytes` bytes (and at least `minBytes`).
    public func string(_ field: String, maxBytes: Int = 200, minBytes: Int = 0) throws(RPCError) -> String? {
        guard let value = object[field], !value.isNull else { return nil }
        guard case .string(let s) = value else { throw Self.invalid(field, "must be a string") }
        let n = s.utf8.count
        guard n >= minBytes, n <= maxBytes else { throw Self.invalid(field, "out of range") }
        return s
    }

    /// A required string.
    public func requiredString(_ field: String, maxBytes: Int = 200, minBytes: Int = 0) throws(RPCError) -> String {
        guard let s = try string(field, maxBytes: maxBytes, minBytes: minBytes) else {
            throw Self.invalid(field, "required")
        }
        return s
    }

    /// `true` or `false`.
    public func bool(_ field: String) throws(RPCError) -> Bool? {
        guard let value = object[field], !value.isNull else { return nil }
        guard case .bool(let b) = value else { throw Self.invalid(field, "must be a boolean") }
        return b
    }

    /// A name (job, trigger, scope, version, stage, unit, outcome key…): a string of at most `maxBytes`
    /// bytes that holds no U+0000. Names are compared and filtered on; a NUL in one is refused rather
    /// than kept, so no tool that reads the store as C strings can see a different name.
    public func name(_ field: String, maxBytes: Int = 200, minBytes: Int = 0) throws(RPCError) -> String? {
        guard let s = try string(field, maxBytes: maxBytes, minBytes: minBytes) else { return nil }
        guard !s.utf8.contains(0) else { throw Self.invalid(field, "must not contain U+0000") }
        return s
    }

    /// A required name.
    public func requiredName(_ field: String, maxBytes: Int = 200, minBytes: Int = 0) throws(RPCError) -> String {
        guard let s = try name(field, maxBytes: maxBytes, minBytes: minBytes) else {
            throw Self.invalid(field, "required")
        }
        return s
    }

    /// An integer without fraction or exponent, within `range`.
    public func int(_ field: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(RPCError) -> Int64? {
        guard let value = object[field], !value.isNull else { return nil }
        guard case .number(let n) = value, JSONNumber.isInteger(n) else {
            throw Self.invalid(field, "must be an integer")
        }
        guard let v = JSONNumber.int64(n), range.contains(v) else { throw Self.invalid(field, "out of range") }
        return v
    }

    /// An id: a JSON integer or a decimal string, 1 ... 2^63-1.
    public func id(_ field: String) throws(RPCError) -> Int64? {
        guard let value = object[field], !value.isNull else { return nil }
        let text: String
        switch value {
        case .number(let n): text = n
        case .string(let s): text = s
        default: throw Self.invalid(field, "must be an integer")
        }
        if let v = Self.positiveDecimal(text) { return v }
        guard !text.isEmpty, JSONNumber.isInteger(text), !text.hasPrefix("+") else {
            throw Self.invalid(field, "must be an integer")
        }
        guard let v = JSONNumber.int64(text) else {
            // Digits only but too large, or not digits at all.
            if text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }) {
                throw Self.invalid(field, "out of range")
            }
            throw Self.invalid(field, "must be an integer")
        }
        guard v >= 1 else { throw Self.invalid(field, "out of range") }
        return v
    }

    /// The common case of an id, in one pass: 1 to 18 decimal digits, not 0. Nil otherwise
    /// (the full checks then decide, with their error).
    static func positiveDecimal(_ text: String) -> Int64? {
        let utf8 = text.utf8
        guard utf8.count >= 1, utf8.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value &* 10 &+ Int64(byte &- 0x30)
        }
        return value >= 1 ? value : nil
    }

    /// A required id.
    public func requiredID(_ field: String) throws(RPCError) -> Int64 {
        guard let v = try id(field) else { throw Self.invalid(field, "required") }
        return v
    }

    /// A JSON object kept as raw text, at most `maxBytes` bytes and `maxDepth` deep.
    public func rawObject(_ field: String, maxBytes: Int = 65_536, maxDepth: Int = 32) throws(RPCError) -> RawJSON? {
        guard let value = object[field], !value.isNull else { return nil }
        let raw: RawJSON
        switch value {
        case .raw(let r) where r.isObject: raw = r
        case .object(let o):
            // Built in memory (a client encoding params): serialise it.
            let text = JSONWriter.string(.object(o))
            guard let r = RawJSON(validating: text) else { throw Self.invalid(field, "must be an object") }
            raw = r
        default: throw Self.invalid(field, "must be an object")
        }
        guard raw.byteCount <= maxBytes else { throw Self.invalid(field, "too long") }
        guard raw.depth <= maxDepth else { throw Self.invalid(field, "too deep") }
        return raw
    }

    /// One of a fixed set of names.
    public func oneOf<T>(_ field: String, _ parse: (String) -> T?, names: String) throws(RPCError) -> T? {
        guard let value = object[field], !value.isNull else { return nil }
        guard case .string(let s) = value, let v = parse(s) else {
            throw Self.invalid(field, "must be one of \(names)")
        }
        return v
    }
}
