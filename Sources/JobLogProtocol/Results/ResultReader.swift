import JobLogJSON
import JobLogModel

/// Why a client could not read a result.
public struct ResultDecodingError: Error, Sendable, CustomStringConvertible {
    public let field: String
    public var description: String { "unexpected result: field \(field)" }
}

/// Reads typed fields from a result object (client side).
struct ResultReader {
    let object: JSONObject

    init(_ value: JSONValue, field: String = "result") throws(ResultDecodingError) {
        guard let o = value.objectValue else { throw ResultDecodingError(field: field) }
        object = o
    }

    func value(_ f: String) throws(ResultDecodingError) -> JSONValue {
        guard let v = object[f] else { throw ResultDecodingError(field: f) }
        return v
    }
    func string(_ f: String) throws(ResultDecodingError) -> String {
        guard let s = object[f]?.stringValue else { throw ResultDecodingError(field: f) }
        return s
    }
    func optionalString(_ f: String) -> String? { object[f]?.stringValue }
    func id(_ f: String) throws(ResultDecodingError) -> Int64 {
        guard let s = object[f]?.stringValue, let v = Int64(s) else { throw ResultDecodingError(field: f) }
        return v
    }
    func int(_ f: String) throws(ResultDecodingError) -> Int64 {
        guard let v = object[f]?.int64Value else { throw ResultDecodingError(field: f) }
        return v
    }
    func optionalInt(_ f: String) -> Int64? { object[f]?.int64Value }
    func optionalDouble(_ f: String) -> Double? {
        if case .number(let n)? = object[f] { return Double(n) }
        return nil
    }
    func timestamp(_ f: String) throws(ResultDecodingError) -> Timestamp {
        guard let s = object[f]?.stringValue, let t = Timestamp(iso8601: s) else { throw ResultDecodingError(field: f) }
        return t
    }
    func optionalTimestamp(_ f: String) -> Timestamp? { object[f]?.stringValue.flatMap(Timestamp.init(iso8601:)) }
    func status(_ f: String) throws(ResultDecodingError) -> RunStatus {
        guard let s = object[f]?.stringValue, let v = RunStatus(rawValue: s) else {
            throw ResultDecodingError(field: f)
        }
        return v
    }
    func object(_ f: String) throws(ResultDecodingError) -> JSONObject {
        guard let o = object[f]?.objectValue else { throw ResultDecodingError(field: f) }
        return o
    }
    func array(_ f: String) throws(ResultDecodingError) -> [JSONValue] {
        guard let a = object[f]?.arrayValue else { throw ResultDecodingError(field: f) }
        return a
    }
}

extension JSONValue {
    static func timestamp(_ t: Timestamp?) -> JSONValue { t.map { .string($0.iso8601) } ?? .null }
    static func id(_ v: Int64) -> JSONValue { .string(String(v)) }
}
