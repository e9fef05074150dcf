import Foundation
import JobLogJSON
import JobLogModel

/// Replays `Spec/conformance/*.jsonl` (format and matching rules: Spec/PROTOCOL.md section 9).
public struct ConformanceVector {
    public let name: String
    public let send: [UInt8]
    public let expect: JSONValue?

    public static func load(_ file: String) throws -> [ConformanceVector] {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard case .object(let o) = try JSONParser.parse(Array(line.utf8)) else {
                throw TestFailure("bad vector: \(line)")
            }
            let send = o["send"]?.stringValue ?? ""
            var bytes = Array(send.utf8)
            if o["sendEncoding"]?.stringValue == "escaped-bytes" { bytes = unescapeBytes(send) }
            let expect = o["expect"].flatMap { $0.isNull ? nil : $0 }
            return ConformanceVector(name: o["name"]?.stringValue ?? "?", send: bytes, expect: expect)
        }
    }

    public static func files() -> [String] {
        let dir = TestDaemon.packageRoot + "/Spec/conformance"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") }.sorted().map { dir + "/" + $0 }
    }

    private static func unescapeBytes(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count, b[i + 1] == UInt8(ascii: "x"),
                let v = UInt8(String(decoding: b[(i + 2)...(i + 3)], as: UTF8.self), radix: 16)
            {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }
}

/// Matches responses against expectations, with `$any`, `$timestamp`, `$id`, `$capture:NAME`, `${NAME}` and `$extra`.
public struct ConformanceMatcher {
    public var captures: [String: String] = [:]

    public init() {}

    public func substitute(_ s: String) -> String {
        var s = s
        for (k, v) in captures { s = s.replacingOccurrences(of: "${\(k)}", with: v) }
        return s
    }

    public func substitute(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "$")) else { return bytes }
        return Array(substitute(String(decoding: bytes, as: UTF8.self)).utf8)
    }

    private static func isID(_ v: JSONValue) -> Bool {
        guard case .string(let s) = v, !s.isEmpty else { return false }
        return s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// nil when `got` matches `expect`, else where and why not.
    public mutating func match(_ expect: JSONValue, _ got: JSONValue, path: String = "$", topLevel: Bool = false)
        -> String?
    {
        switch expect {
        case .string(let s) where s == "$any": return nil
        case .string(let s) where s == "$timestamp":
            if case .string(let g) = got, g.utf8.count == 24, Timestamp(iso8601: g) != nil { return nil }
            return "\(path): expected a timestamp, got \(JSONWriter.string(got))"
        case .string(let s) where s == "$id":
            return Self.isID(got) ? nil : "\(path): expected an id, got \(JSONWriter.string(got))"
        case .string(let s) where s.hasPrefix("$capture:"):
            guard Self.isID(got), case .string(let g) = got else { return "\(path): expected an id to capture" }
            captures[String(s.dropFirst("$capture:".count))] = g
            return nil
        case .string(let s):
            let want = substitute(s)
            return got == .string(want) ? nil : "\(path): expected \"\(want)\", got \(JSONWriter.string(got))"
        case .number(let n):
            if case .number(let g) = got, Double(g) == Double(n) { return nil }
            return "\(path): expected \(n), got \(JSONWriter.string(got))"
        case .object(let o):
            guard case .object(let g) = got.materialized else {
                return "\(path): expected an object, got \(JSONWriter.string(got))"
            }
            let extra = o["$extra"] == .bool(true)
            let keys = o.members.map(\.key).filter { $0 != "$extra" }
            for k in keys {
                guard let gv = g[k] else { return "\(path).\(k): missing" }
                if let e = match(o[k]!, gv, path: "\(path).\(k)") { return e }
            }
            if !extra, g.members.count != keys.count {
                let unexpected = g.members.map(\.key).filter { !keys.contains($0) }
                return "\(path): unexpected members \(unexpected)"
            }
            return nil
        case .array(let a):
            guard case .array(let g) = got.materialized, g.count == a.count else {
                return "\(path): expected \(a.count) elements, got \(JSONWriter.string(got))"
            }
            if topLevel {
                // A batch response: any order.
                var remaining = g
                for (i, e) in a.enumerated() {
                    guard
                        let j = remaining.firstIndex(where: {
                            var m = self
                            return m.match(e, $0) == nil
                        })
                    else {
                        return "\(path)[\(i)]: no member matches \(JSONWriter.string(e))"
                    }
                    _ = match(e, remaining[j])
                    remaining.remove(at: j)
                }
                return nil
            }
            for (i, e) in a.enumerated() {
                if let m = match(e, g[i], path: "\(path)[\(i)]") { return m }
            }
            return nil
        case .raw:
            return match(expect.materialized, got, path: path, topLevel: topLevel)
        default:
            return expect == got.materialized
                ? nil : "\(path): expected \(JSONWriter.string(expect)), got \(JSONWriter.string(got))"
        }
    }
}
