import Foundation
import JobLogTestSupport
import Testing

/// `hello` (protocol version 2) on the wire: numbering, skipping what a session already applied,
/// the answers to replayed requests, and the session TTL.
@Suite struct SessionTests {
    static func hello(_ c: LineClient, _ session: String, firstSeq: Int = 1) throws -> Int {
        let r = try c.result("hello", ["session": session, "firstSeq": firstSeq])
        #expect(r["session"] as? String == session)
        return r["applied"] as? Int ?? -1
    }

    /// A resend racing a commit: two connections of one session both send message 1 (and 2);
    /// the second copy is skipped, and a request among them is answered as the first time.
    @Test func replayedMessagesAreSkippedAndRequestsAnsweredAsTheFirstTime() throws {
        let daemon = try TestDaemon()
        let setup = try daemon.connect()
        let run = try setup.result("startRun", ["jobName": "replay"])["jobRunId"] as? String ?? ""
        let session = "replay-session-0001"
        let a = try daemon.connect()
        let b = try daemon.connect()
        #expect(try Self.hello(a, session) == 0)
        #expect(try Self.hello(b, session) == 0)
        // Message 1 (a log request) and 2 (an increment request) on both connections.
        let first = try a.call("info", ["jobRunId": run, "message": "once"])
        let firstID = (first["result"] as? [String: Any])?["id"] as? String
        #expect(firstID != nil)
        #expect(try a.call("incrementProgress", ["jobRunId": run, "by": 5])["result"] != nil)
        let again = try b.call("info", ["jobRunId": run, "message": "once"])
        #expect((again["result"] as? [String: Any])?["id"] as? String == firstID, "\(again)")
        let increment = try b.call("incrementProgress", ["jobRunId": run, "by": 5])
        #expect((increment["result"] as? [String: Any])?.isEmpty == true, "\(increment)")
        // Message 3 on b is new.
        try b.notify("addOutcome", ["jobRunId": run, "key": "k"])
        let stored = try b.result("getRun", ["jobRunId": run])["run"] as? [String: Any] ?? [:]
        #expect(stored["progressCurrent"] as? Int == 5)
        #expect(stored["outcomeSummary"] as? [String: Int] == ["k": 1])
        #expect(try Reliability.allLogs(b, run).compactMap { $0["message"] as? String } == ["once"])
        let c = try daemon.connect()
        #expect(try Self.hello(c, session) == 3)
    }

    /// The count survives a restart: it is stored with the effects.
    @Test func appliedCountSurvivesKill9() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        let run = try c.result("startRun", ["jobName": "restart"])["jobRunId"] as? String ?? ""
        let session = "restart-session-0001"
        #expect(try Self.hello(c, session) == 0)
        for _ in 0..<10 { try c.notify("incrementProgress", ["jobRunId": run]) }
        _ = try c.result("ping")
        daemon.kill9()
        try daemon.start()
        let d = try daemon.connect()
        #expect(try Self.hello(d, session, firstSeq: 4) == 10)
        #expect(
            try d.result("getRun", ["jobRunId": run])["run"].flatMap {
                ($0 as? [String: Any])?["progressCurrent"] as? Int
            } == 10)
    }

    /// A session idle longer than `--session-ttl` is forgotten: `hello` starts it at `firstSeq - 1`.
    @Test func idleSessionsAreForgottenAfterTheTTL() throws {
        let daemon = try TestDaemon(arguments: ["--session-ttl", "1"])
        let c = try daemon.connect()
        let run = try c.result("startRun", ["jobName": "ttl"])["jobRunId"] as? String ?? ""
        let session = "ttl-session-00001"
        #expect(try Self.hello(c, session) == 0)
        try c.notify("incrementProgress", ["jobRunId": run])
        _ = try c.result("ping")
        #expect(try Self.hello(c, session) == 1)
        // Idle for over the TTL (a hello touches the session too): the sweep (every second) forgets it.
        usleep(3_200_000)
        let applied = try Self.hello(try daemon.connect(), session)
        #expect(applied == 0)
    }

    /// A connection without `hello` is numbered nowhere: a resend is applied again (version 1).
    @Test func withoutHelloNothingIsSkipped() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        let run = try c.result("startRun", ["jobName": "v1"])["jobRunId"] as? String ?? ""
        try c.notify("incrementProgress", ["jobRunId": run])
        try c.notify("incrementProgress", ["jobRunId": run])
        let stored = try c.result("getRun", ["jobRunId": run])["run"] as? [String: Any] ?? [:]
        #expect(stored["progressCurrent"] as? Int == 2)
    }

    @Test(arguments: ["0", "-1", "315360001", "x"])
    func sessionTTLOutOfRangeIsRefused(_ value: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestDaemon.binary)
        p.arguments = ["--session-ttl", value, "--socket", "/nonexistent/sock"]
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = pipe
        try p.run()
        p.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus != 0)
        #expect(output.contains("session-ttl"), "\(output)")
    }
}
