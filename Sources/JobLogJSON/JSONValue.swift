/// A JSON value as read from the wire or about to be written to it.
///
/// Numbers keep their exact spelling (`1.50` stays `1.50`), so an id is echoed
/// back unchanged and no precision is lost. ``raw(_:)`` holds a validated JSON
/// fragment (an object or array) that is kept as the bytes it arrived as:
/// `context` and `params` travel through the daemon without being decoded.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number in its JSON spelling (validated against the JSON grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
    /// A validated JSON object or array kept as text.
    case raw(RawJSON)

    /// A number value from an integer.
    public static func int<T: BinaryInteger>(_ value: T) -> JSONValue { .number(String(value)) }

    /// A string value, or `null` when `value` is nil.
    public static func string(orNull value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    /// A number value, or `null` when `value` is nil.
    public static func int<T: BinaryInteger>(orNull value: T?) -> JSONValue {
        value.map { JSONValue.number(String($0)) } ?? .null
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The object, when this is an object (a raw object is parsed).
    public var objectValue: JSONObject? {
        switch self {
        case .object(let o): return o
        case .raw(let r): return r.parsed()?.objectValue
        default: return nil
        }
    }

    /// The elements, when this is an array (a raw array is parsed).
    public var arrayValue: [JSONValue]? {
        switch self {
        case .array(let a): return a
        case .raw(let r): if case .array(let a)? = r.parsed() { return a }
        default: break
        }
        return nil
    }

    /// The integer, when this is a number without fraction or exponent that fits in 64 bits.
    public var int64Value: Int64? {
        if case .number(let n) = self { return JSONNumber.int64(n) }
        return nil
    }

    /// True for `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The same value with every raw fragment parsed, for comparisons in tests and tools.
    public var materialized: JSONValue {
        switch self {
        case .raw(let r): return r.parsed()?.materialized ?? .null
        case .array(let a): return .array(a.map(\.materialized))
        case .object(let o): return .object(JSONObject(o.members.map { ($0.key, $0.value.materialized) }))
        default: return self
        }
    }
}
