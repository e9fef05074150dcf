import ArgumentParser
import JobLogJSON

/// A `key=value` argument (`--ctx`, `--param`), typed for JSON.
///
/// The value is a JSON integer when it is one (`42`, `-7`, no leading zeros, within
/// 64 bits), `true` or `false` as booleans, and a string otherwise (`007`, `1.5`,
/// `null` and the empty string stay strings). Only the first `=` separates.
struct KeyValue: ExpressibleByArgument, Sendable {
    var key: String
    var value: JSONValue

    init?(argument: String) {
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else { return nil }
        key = String(argument[..<eq])
        value = Self.typed(String(argument[argument.index(after: eq)...]))
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// `value` as a JSON value: integer, boolean or string.
    static func typed(_ text: String) -> JSONValue {
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: break
        }
        if isIntegerLiteral(text), let n = Int64(text) { return .int(n) }
        return .string(text)
    }

    /// `-?(0|[1-9][0-9]*)`: the JSON spelling of an integer.
    private static func isIntegerLiteral(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" { digits = digits.dropFirst() }
        guard let first = digits.first, digits.allSatisfy({ ("0"..."9").contains($0) }) else { return false }
        return first != "0" || digits.count == 1
    }

    /// The pairs as one JSON object (a later key replaces an earlier one).
    static func object(_ pairs: [KeyValue]) -> RawJSON {
        var object = JSONObject()
        for pair in pairs { object[pair.key] = pair.value }
        return RawJSON(validating: JSONWriter.string(.object(object))) ?? .emptyObject
    }
}
