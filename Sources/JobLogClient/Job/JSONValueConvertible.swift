import JobLogJSON

/// The JSON value type of contexts and params, re-exported for job code.
public typealias JSONValueConvertible = JobLogJSON.JSONValue

/// A log entry's context: `["userId": "42", "batch": 7]`.
public typealias LogContext = [String: JSONValue]

extension Dictionary where Key == String, Value == JSONValue {
    /// As a raw JSON object for the wire.
    var rawJSON: RawJSON? {
        guard !isEmpty else { return nil }
        let object = JSONObject(sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return RawJSON(validating: JSONWriter.string(.object(object)))
    }
}
