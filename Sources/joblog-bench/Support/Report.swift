import Foundation
import JobLogJSON

/// One figure of the report, with its baseline and target.
struct Figure {
    var name: String
    var value: Double
    var unit: String
    var baselineName: String? = nil
    var baseline: Double? = nil
    /// A short statement of the target, e.g. "≥ 0.5× baseline".
    var target: String? = nil
    /// Whether the target is met (nil when there is none).
    var met: Bool? = nil
    var note: String? = nil

    var ratio: Double? { baseline.flatMap { $0 > 0 ? value / $0 : nil } }
}

/// The table, and its JSON form.
struct Report {
    var figures: [Figure] = []
    var facts: [(String, String)] = []

    mutating func add(_ f: Figure) {
        figures.append(f)
        FileHandle.standardError.write(Data("  \(f.name): \(Self.number(f.value)) \(f.unit)\n".utf8))
    }

    static func number(_ v: Double) -> String {
        if v >= 100 { return String(format: "%.0f", v) }
        if v >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.3g", v)
    }

    var table: String {
        var lines: [String] = []
        for (k, v) in facts { lines.append("\(k): \(v)") }
        lines.append("")
        lines.append("| figure | value | baseline (same run) | ratio | target | met |")
        lines.append("|---|---:|---|---:|---|---|")
        for f in figures {
            let base = f.baseline.map { "\(f.baselineName ?? ""): \(Self.number($0))" } ?? ""
            let ratio = f.ratio.map { String(format: "%.2f×", $0) } ?? ""
            let met = f.met.map { $0 ? "yes" : "**no**" } ?? ""
            var value = "\(Self.number(f.value)) \(f.unit)"
            if let note = f.note { value += " (\(note))" }
            lines.append("| \(f.name) | \(value) | \(base) | \(ratio) | \(f.target ?? "") | \(met) |")
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
        let items: [JSONValue] = figures.map { f in
            var o = JSONObject([("name", .string(f.name)), ("value", .double(f.value)), ("unit", .string(f.unit))])
            if let b = f.baseline {
                o.append("baseline", .double(b))
                o.append("baselineName", .string(f.baselineName ?? ""))
            }
            if let r = f.ratio { o.append("ratio", .double(r)) }
            if let t = f.target { o.append("target", .string(t)) }
            if let m = f.met { o.append("met", .bool(m)) }
            if let n = f.note { o.append("note", .string(n)) }
            return .object(o)
        }
        let facts = JSONObject(facts.map { ($0.0, JSONValue.string($0.1)) })
        return JSONWriter.string(.object(JSONObject([("machine", .object(facts)), ("figures", .array(items))])))
    }
}
