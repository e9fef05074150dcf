import JobLogJSON

/// A JSON-RPC request id: a string, a number (kept as spelled) or null.
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    /// A number in its JSON spelling, echoed back unchanged.
    case number(String)
    case null

    /// Reads an id; nil for a value that cannot be an id (object, array, bool).
    public init?(json: JSONValue) {
        switch json {
        case .string(let s): self = .string(s)
        case .number(let n): self = .number(n)
        case .null: self = .null
        default: return nil
        }
    }

    /// An integer id.
    public static func int(_ value: Int) -> RequestID { .number(String(value)) }

    /// The id as JSON.
    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .number(let n): .number(n)
        case .null: .null
        }
    }

    public var description: String { JSONWriter.string(json) }
}
