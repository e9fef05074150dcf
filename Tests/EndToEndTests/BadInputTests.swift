import Foundation
import JobLogTestSupport
import Testing

/// Hostile bytes get an error line, never a crash or a hang, and the connection stays usable.
@Suite struct BadInputTests {
    /// Reads lines until the answer to `ping` id `marker`; returns the lines before it.
    func linesUntilPing(_ client: LineClient, _ marker: String) throws -> [String] {
        try client.send(#"{"jsonrpc":"2.0","method":"ping","id":"\#(marker)"}"#)
        var lines: [String] = []
        while let line = try client.readLine() {
            if line.contains(#""id":"\#(marker)""#) { return lines }
            lines.append(line)
        }
        throw TestFailure("connection closed before ping \(marker) was answered")
    }

    static let corpus = TestDaemon.packageRoot + "/../shared/testdata/JSONTestSuite/test_parsing"

    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: corpus),
            "the JSONTestSuite corpus (../shared/testdata/JSONTestSuite) is not beside the package"))
    func jsonTestSuiteThroughTheSocket() throws {
        let dir = Self.corpus
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        var count = 0
        for name in names.sorted() where name.hasSuffix(".json") {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            try client.sendBytes(bytes + [0x0A])
            let answers = try linesUntilPing(client, "after-\(count)")
            let hasNewline = bytes.contains(0x0A) || bytes.contains(0x0D)
            if name.hasPrefix("n_") {
                // A document that is only whitespace once split is blank; everything else is answered with an error.
                let blank = bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
                if !blank { #expect(answers.contains { $0.contains(#""error""#) }, "\(name): no error line") }
            }
            if name.hasPrefix("y_"), !hasNewline {
                #expect(!answers.contains { $0.contains("-32700") }, "\(name): valid JSON reported as a parse error")
            }
            for a in answers { #expect(a.contains(#""error""#), "\(name): \(a)") }
            count += 1
        }
        #expect(count > 300)
        #expect(daemon.process?.isRunning == true)
    }

    @Test func generatedGarbage() throws {
        let daemon = try TestDaemon(arguments: ["--max-line-bytes", "4096"])
        let client = try daemon.connect()
        var rng = SystemRandomNumberGenerator()
        // Random bytes (no newlines inside), NUL bytes, invalid UTF-8, truncated requests.
        let request = Array(
            #"{"jsonrpc":"2.0","method":"startRun","params":{"jobName":"x","params":{"a":[1,2,{"b":"c"}]}},"id":1}"#
                .utf8)
        var cases: [[UInt8]] = [
            [0x00], [0x00, 0x00, 0x7B], [0xFF, 0xFE], [0xC3], [0xED, 0xA0, 0x80], Array("\"\u{0}\"".utf8),
            Array(#"{"jsonrpc":"2.0","method":"ping","id":"\#u{0}"}"#.utf8),
            Array(repeating: UInt8(ascii: "["), count: 100_000).prefix(4000).map { $0 },
            Array(repeating: UInt8(ascii: "{"), count: 3000),
            Array("1" + String(repeating: "0", count: 3000)).map { $0.asciiValue ?? 0x30 },
        ]
        for cut in stride(from: 1, to: request.count, by: 7) { cases.append(Array(request[..<cut])) }
        for _ in 0..<200 {
            let n = Int.random(in: 1...300, using: &rng)
            cases.append((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }.map { $0 == 0x0A ? 0x20 : $0 })
        }
        for (i, bytes) in cases.enumerated() {
            try client.sendBytes(bytes + [0x0A])
            let answers = try linesUntilPing(client, "g\(i)")
            for a in answers { #expect(a.contains(#""error""#) || a.contains(#""result""#), "case \(i): \(a)") }
        }
        #expect(daemon.process?.isRunning == true)
    }

    @Test func overLongLinesAreSkippedAndTheConnectionGoesOn() throws {
        let daemon = try TestDaemon(arguments: ["--max-line-bytes", "4096"])
        let client = try daemon.connect()
        // Over the limit, sent in pieces, then a normal request on the same connection.
        let long = Array(repeating: UInt8(ascii: "x"), count: 50_000)
        try client.sendBytes(Array(long[..<20_000]))
        try client.sendBytes(Array(long[20_000...]) + [0x0A])
        let answers = try linesUntilPing(client, "after-long")
        #expect(answers.count == 1)
        #expect(answers.first?.contains("-32004") == true)
        #expect(answers.first?.contains(#""maxLineBytes":4096"#) == true)
        // Exactly at the limit is fine (and answered as what it is).
        let atLimit =
            #"{"jsonrpc":"2.0","method":"ping","id":"pad","x":""# + String(repeating: "a", count: 4096 - 51) + #""}"#
        #expect(atLimit.utf8.count == 4096)
        try client.send(atLimit)
        #expect(try client.readLine()?.contains(#""id":"pad""#) == true)
        // A 2 MB line with a valid request after it in the same write.
        try client.sendBytes(
            Array(repeating: UInt8(ascii: "{"), count: 2_000_000) + [0x0A]
                + Array(#"{"jsonrpc":"2.0","method":"ping","id":7}"#.utf8) + [0x0A])
        #expect(try client.readLine()?.contains("-32004") == true)
        #expect(try client.readLine()?.contains(#""id":7"#) == true)
    }

    @Test func halfCloseAnswersEverythingThenCloses() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        var lines = ""
        for i in 0..<50 { lines += #"{"jsonrpc":"2.0","method":"ping","id":\#(i)}"# + "\n" }
        // The last line has no newline: it is still a line.
        lines += #"{"jsonrpc":"2.0","method":"ping","id":"last"}"#
        try client.sendBytes(Array(lines.utf8))
        client.shutdownWrite()
        let start = Date()
        var answers: [String] = []
        while let line = try client.readLine() { answers.append(line) }
        #expect(answers.count == 51)
        #expect(answers.last?.contains(#""id":"last""#) == true)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func endOfInputCommitsWhatTheConnectionSent() throws {
        let daemon = try TestDaemon(arguments: ["--flush-interval-ms", "5000"])
        let id = try daemon.connect().result("startRun", ["jobName": "one-shot"])["jobRunId"] as! String
        for i in 0..<20 {
            // One notification per connection, as `printf ... | socat` sends it.
            let shot = try daemon.connect()
            try shot.notify("incrementProgress", ["jobRunId": id])
            shot.shutdownWrite()
            #expect(try shot.readLine() == nil, "closed without an answer (\(i))")
        }
        // Even with a 5 s flush interval, each was committed before its connection closed.
        let run = try daemon.connect().result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        #expect(run["progressCurrent"] as? Int == 20)
    }
}
