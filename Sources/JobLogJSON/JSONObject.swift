/// A JSON object that keeps its members in order (as sent, or as built).
///
/// Lookups scan from the end, so with duplicate keys the last one wins, as in
/// most JSON parsers. Objects on this protocol are small; a scan beats hashing.
public struct JSONObject: Sendable, Equatable {
    /// The members in order.
    public var members: [(key: String, value: JSONValue)]

    /// An empty object.
    public init() { members = [] }

    /// An object with these members, in this order.
    public init(_ members: [(String, JSONValue)]) {
        self.members = members.map { (key: $0.0, value: $0.1) }
    }

    /// The value of the last member named `key`.
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members.reversed() where member.key == key { return member.value }
            return nil
        }
        set {
            members.removeAll { $0.key == key }
            if let newValue { members.append((key: key, value: newValue)) }
        }
    }

    /// Appends a member without looking for an earlier one of the same name.
    public mutating func append(_ key: String, _ value: JSONValue) {
        members.append((key: key, value: value))
    }

    /// Member-wise equality that ignores order; with duplicate keys the last one counts, as in lookups.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        let keys = Set(lhs.members.map(\.key))
        guard keys == Set(rhs.members.map(\.key)) else { return false }
        for key in keys where lhs[key] != rhs[key] { return false }
        return true
    }
}
