import JobLogJSON

/// A run's outcome counters, in the order their keys were first added.
public struct OutcomeCounters: Sendable, Equatable {
    /// The counters in first-added order.
    public private(set) var entries: [(key: String, count: Int64)] = []

    public init() {}

    public init(_ entries: [(String, Int64)]) {
        for (k, v) in entries { _ = add(k, v) }
    }

    /// Adds `count` to `key` (created at 0). Returns false, changing nothing, on overflow.
    @discardableResult
    public mutating func add(_ key: String, _ count: Int64) -> Bool {
        if let i = entries.firstIndex(where: { $0.key == key }) {
            let (sum, overflow) = entries[i].count.addingReportingOverflow(count)
            if overflow { return false }
            entries[i].count = sum
        } else {
            entries.append((key: key, count: count))
        }
        return true
    }

    /// The value of `key`, if it was ever added.
    public subscript(key: String) -> Int64? { entries.first { $0.key == key }?.count }

    /// As a JSON object.
    public var json: JSONValue { .object(JSONObject(entries.map { ($0.key, JSONValue.int($0.count)) })) }

    /// As compact JSON text, for storage.
    public var jsonText: String { JSONWriter.string(json) }

    /// Reads counters from JSON object text; members that are not integers are skipped.
    public init(jsonText: String) {
        let object = (try? JSONParser.parse(Array(jsonText.utf8)))?.objectValue ?? JSONObject()
        self.init(json: object)
    }

    /// Reads counters from a JSON object; members that are not integers are skipped.
    public init(json object: JSONObject) {
        for member in object.members {
            if let v = member.value.int64Value { _ = add(member.key, v) }
        }
    }

    public static func == (lhs: OutcomeCounters, rhs: OutcomeCounters) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.count == $1.count }
    }
}
