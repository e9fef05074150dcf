import Foundation
import JobLogJSON
import JobLogProtocol
import JobLogTestSupport
import Testing

/// Thousands of random and mutated lines (from the conformance vectors' sends, the JSON test
/// corpus and a random JSON-RPC generator) on one connection: every request gets exactly its
/// answer, in order, with its id; nothing is an internal error; the daemon is alive at the end.
///
/// `JOBLOG_SEED` replays a run; `JOBLOG_FUZZ_LINES` (default 4000) sets how many lines.
@Suite struct FuzzTests {
    static var lineCount: Int { Int(ProcessInfo.processInfo.environment["JOBLOG_FUZZ_LINES"] ?? "") ?? 4000 }

    static let methods = [
        "startRun", "setStage", "setTotal", "incrementProgress", "setProgress", "debug", "info", "milestone",
        "warning", "error", "log", "addOutcome", "saveOutcome", "logSummary", "finishRun", "getLogs", "getProgress",
        "getOutcome", "getRun", "listRuns", "ping", "watch", "unwatch", "pruneRuns",
    ]
    static let fields = [
        "jobRunId", "jobName", "trigger", "scope", "algorithmVersion", "params", "pid", "heartbeatTimeoutMs", "stage",
        "message", "total", "unit", "by", "current", "level", "context", "key", "count", "status", "error", "limit",
        "afterId", "beforeId", "subscription", "olderThanDays",
    ]
    static let tokens = [
        "0", "-0", "1", "-1", "1.5", "1e999", "-1e-999", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "18446744073709551616", "2147483648", "null", "true", "false", "\"\"", "\"1\"",
        "\"RUNNING\"", "\"SUCCESS\"", "\"debug\"", "\"error\"", "{}", "[]", "[1,2]", "{\"a\":{\"b\":[null]}}",
        "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\u{1F600}\"", "\"\\\"\"", "1E+2", "0.0000001",
    ]
    static let interesting: [UInt8] = [
        0x00, 0x0D, 0x20, 0x22, 0x2C, 0x3A, 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0x7F, 0x80, 0xC0, 0xC3, 0xED, 0xEF, 0xF4,
        0xFF, UInt8(ascii: "0"), UInt8(ascii: "-"), UInt8(ascii: "e"), UInt8(ascii: "u"),
    ]

    /// A random value, `depth` levels deep at most.
    static func randomValue(_ rng: inout SeededGenerator, depth: Int = 2) -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<4: return tokens.randomElement(using: &rng)!
        case 4: return String(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 5: return "\"" + String(repeating: "x", count: Int.random(in: 0...300, using: &rng)) + "\""
        case 6: return "\"\(Int.random(in: 1...20, using: &rng))\""
        case 7 where depth > 0:
            return "["
                + (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(&rng, depth: depth - 1) }
                .joined(separator: ",") + "]"
        case 8 where depth > 0:
            return "{"
                + (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                    "\"\(fields.randomElement(using: &rng)!)\":\(randomValue(&rng, depth: depth - 1))"
                }.joined(separator: ",") + "}"
        default: return String(Int.random(in: 1...20, using: &rng))
        }
    }

    /// A random JSON-RPC message: mostly well formed, with random methods, params and ids.
    static func randomMessage(_ rng: inout SeededGenerator) -> String {
        var members: [String] = []
        if Int.random(in: 0..<10, using: &rng) > 0 { members.append(#""jsonrpc":"2.0""#) }
        let method =
            Int.random(in: 0..<12, using: &rng) == 0 ? randomValue(&rng) : "\"\(methods.randomElement(using: &rng)!)\""
        members.append(#""method":\#(method)"#)
        if Int.random(in: 0..<8, using: &rng) > 0 {
            let params = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                "\"\(fields.randomElement(using: &rng)!)\":\(randomValue(&rng))"
            }
            members.append(#""params":{\#(params.joined(separator: ","))}"#)
        }
        if Int.random(in: 0..<4, using: &rng) > 0 { members.append(#""id":\#(randomValue(&rng, depth: 1))"#) }
        members.shuffle(using: &rng)
        return "{" + members.joined(separator: ",") + "}"
    }

    /// One to four byte-level mutations of `seed`, splicing from `others`.
    static func mutate(_ seed: [UInt8], _ others: [[UInt8]], _ rng: inout SeededGenerator) -> [UInt8] {
        var b = seed
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let i = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0 where !b.isEmpty: b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 1 where !b.isEmpty: b[i] = interesting.randomElement(using: &rng)!
            case 2:
                b.insert(
                    contentsOf: (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                        UInt8.random(in: 0...255, using: &rng)
                    }, at: i)
            case 3 where !b.isEmpty: b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...16, using: &rng)))
            case 4 where !b.isEmpty:
                let end = min(b.count, i + Int.random(in: 1...32, using: &rng))
                b.insert(contentsOf: b[i..<end], at: Int.random(in: 0...b.count, using: &rng))
            case 5:
                let other = others.randomElement(using: &rng) ?? []
                let cut = other.isEmpty ? 0 : Int.random(in: 0..<other.count, using: &rng)
                b = Array(b[..<i]) + Array(other[cut...])
            case 6: b.insert(contentsOf: Array(tokens.randomElement(using: &rng)!.utf8), at: i)
            case 7: b = Array(b.prefix(i))
            case 8:
                let n = Int.random(in: 1...600, using: &rng)
                b = Array(repeating: UInt8(ascii: "["), count: n) + b + Array(repeating: UInt8(ascii: "]"), count: n)
            default:
                let copies = Int.random(in: 1...3, using: &rng)
                b =
                    [UInt8(ascii: "[")]
                    + Array(Array(repeating: b, count: copies).joined(separator: [UInt8(ascii: ",")]))
                    + [UInt8(ascii: "]")]
            }
        }
        // One line: no newline inside.
        return b.map { $0 == 0x0A ? 0x20 : $0 }
    }

    /// The ids of the answers a line must get, in order (an array for a batch answer), from the decoder itself.
    enum Expected {
        case single(RequestID)
        case batch(Int)
    }

    static func expected(_ line: [UInt8]) -> Expected? {
        var line = line
        if line.last == 0x0D { line.removeLast() }
        switch RPCDecoder.decode(line: line) {
        case .blank, .incrementProgress: return nil
        case .failure: return .single(.null)
        case .single(.invalid(_, let id)): return .single(id)
        case .single(.request(let r)): return r.id.map { .single($0) }
        case .batch(let members):
            let answered = members.filter {
                if case .request(let r) = $0 { r.id != nil } else { true }
            }.count
            return answered == 0 ? nil : .batch(answered)
        }
    }

    static func seeds(_ rng: inout SeededGenerator) throws -> (conformance: [[UInt8]], corpus: [[UInt8]]) {
        var conformance: [[UInt8]] = []
        for file in ConformanceVector.files() {
            for v in try ConformanceVector.load(file) {
                // Captured run ids become small numbers: most name a run that exists.
                var text = String(decoding: v.send, as: UTF8.self)
                while let open = text.range(of: "${"), let close = text[open.upperBound...].firstIndex(of: "}") {
                    text.replaceSubrange(open.lowerBound...close, with: "\(Int.random(in: 1...3, using: &rng))")
                }
                conformance.append(v.send.contains(UInt8(ascii: "$")) ? Array(text.utf8) : v.send)
            }
        }
        let dir = TestDaemon.packageRoot + "/../shared/testdata/JSONTestSuite/test_parsing"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let corpus = names.sorted().compactMap { name in
            FileManager.default.contents(atPath: dir + "/" + name).map { Array($0).map { $0 == 0x0A ? 0x20 : $0 } }
        }
        if corpus.isEmpty { print("FuzzTests: JSONTestSuite not found at \(dir); mutating the vectors only") }
        return (conformance, corpus)
    }

    @Test func mutatedAndRandomLines() throws {
        let seed = SeededGenerator.seed()
        var rng = SeededGenerator(seed: seed)
        let (conformance, corpus) = try Self.seeds(&rng)
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        _ = try client.result("startRun", ["jobName": "fuzz"])
        var lines: [[UInt8]] = []
        for i in 0..<Self.lineCount {
            switch i % 10 {
            case 0..<5: lines.append(Self.mutate(conformance.randomElement(using: &rng)!, conformance, &rng))
            case 5..<7 where !corpus.isEmpty:
                lines.append(Self.mutate(corpus.randomElement(using: &rng)!, corpus, &rng))
            case 7: lines.append(conformance.randomElement(using: &rng)!)
            default: lines.append(Array(Self.randomMessage(&rng).utf8))
            }
        }
        var stats = (answers: 0, errors: 0, results: 0, events: 0, silent: 0)
        let marker = "fuzz-marker-\(seed)"
        for start in stride(from: 0, to: lines.count, by: 25) {
            let chunk = lines[start..<min(lines.count, start + 25)]
            var expected: [(line: Int, answer: Expected)] = []
            var bytes: [UInt8] = []
            for (offset, line) in chunk.enumerated() {
                bytes += line + [0x0A]
                if let e = Self.expected(line) { expected.append((start + offset, e)) } else { stats.silent += 1 }
            }
            try client.sendBytes(bytes + Array(#"{"jsonrpc":"2.0","method":"ping","id":"\#(marker)"}"#.utf8) + [0x0A])
            var next = 0
            while true {
                guard let text = try client.readLine() else {
                    Issue.record("connection closed; seed \(seed), lines \(start)...")
                    return
                }
                guard let answer = try? JSONParser.parse(Array(text.utf8)) else {
                    Issue.record("an answer is not JSON: \(text.prefix(300)); seed \(seed)")
                    continue
                }
                if case .object(let o) = answer, o["method"] == .string("event") {
                    stats.events += 1
                    continue
                }
                if case .object(let o) = answer, o["id"] == .string(marker) { break }
                guard next < expected.count else {
                    Issue.record("an answer nobody asked for: \(text.prefix(300)); seed \(seed)")
                    continue
                }
                let (index, want) = expected[next]
                next += 1
                stats.answers += 1
                let source = String(decoding: lines[index].prefix(300), as: UTF8.self)
                #expect(!text.contains("-32603"), "internal error for line \(index) \(source): \(text); seed \(seed)")
                switch (want, answer) {
                case (.single(let id), .object(let o)):
                    let got = o["id"].flatMap { RequestID(json: $0) }
                    #expect(got?.description == id.description, "line \(index) \(source): \(text); seed \(seed)")
                    #expect(o["jsonrpc"] == .string("2.0") && (o["result"] == nil) != (o["error"] == nil))
                    if o["error"] != nil { stats.errors += 1 } else { stats.results += 1 }
                case (.batch(let n), .array(let members)):
                    #expect(members.count == n, "line \(index) \(source): \(text.prefix(300)); seed \(seed)")
                default:
                    Issue.record("line \(index) \(source): expected \(want), got \(text.prefix(300)); seed \(seed)")
                }
            }
            #expect(next == expected.count, "lines \(start)..: \(expected.count - next) answers missing; seed \(seed)")
        }
        #expect(daemon.process?.isRunning == true)
        #expect(try daemon.connect().result("ping")["protocolVersion"] as? Int == 2)
        #expect(Reliability.integrityCheck(daemon) == "ok")
        print(
            "fuzz: seed \(seed), \(lines.count) lines: \(stats.answers) answers (\(stats.results) results, "
                + "\(stats.errors) errors), \(stats.silent) without answer, \(stats.events) events")
    }
}
