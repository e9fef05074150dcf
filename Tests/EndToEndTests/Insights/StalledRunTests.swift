import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The stalled flag: alive but not moving, decided in the liveness reaper's pass.
@Suite struct StalledRunTests {
    /// Reads events until one of `type` arrives (or the socket times out).
    static func waitForEvent(_ watcher: LineClient, _ type: String) throws -> [String: Any]? {
        while let line = try watcher.readLine() {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let params = obj["params"] as? [String: Any]
            if params?["type"] as? String == type { return params }
        }
        return nil
    }

    @Test func aJobThatStopsMovingIsStalledAndClearsWhenItMoves() throws {
        let daemon = try TestDaemon(arguments: ["--stall-min-ms", "500", "--liveness-interval-ms", "100"])
        let job = try daemon.connect()
        let watcher = try LineClient(path: daemon.socketPath, timeoutSeconds: 10)
        let id = try job.result("startRun", ["jobName": "stalls"])["jobRunId"] as! String
        _ = try watcher.result("watch", ["jobRunId": id, "level": "error"])
        for _ in 0..<20 {
            try job.notify("incrementProgress", ["jobRunId": id])
            usleep(50_000)
        }
        let moving = try job.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        #expect(moving["stalledSince"] is NSNull)
        sleep(2)
        let stalled = try Insights.waitForRun(job, id, within: 5) { !($0["stalledSince"] is NSNull) }
        #expect(stalled["stalledSince"] as? String == stalled["lastHeartbeatAt"] as? String)
        let warnings = try Insights.messages(job, id, level: "warning")
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("No progress for ") == true)
        #expect(warnings.first?.contains("(usually every ") == true)
        let event = try Self.waitForEvent(watcher, "stalled")
        #expect(event?["stalledSince"] as? String == stalled["stalledSince"] as? String)
        // It moves again: the flag goes, with an entry and an event.
        try job.notify("incrementProgress", ["jobRunId": id])
        let moved = try job.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        #expect(moved["stalledSince"] is NSNull)
        #expect(try Insights.messages(job, id, level: "info").contains { $0.hasPrefix("Progress resumed after ") })
        #expect(try Self.waitForEvent(watcher, "unstalled") != nil)
    }

    @Test func aSilentJobIsStalledOnlyAfterTheMinimumAndAFinishedRunNever() throws {
        let daemon = try TestDaemon(arguments: ["--stall-min-ms", "1000", "--liveness-interval-ms", "100"])
        let job = try daemon.connect()
        let silent = try job.result("startRun", ["jobName": "silent"])["jobRunId"] as! String
        let finished = try job.result("startRun", ["jobName": "silent"])["jobRunId"] as! String
        _ = try job.result("finishRun", ["jobRunId": finished, "status": "SUCCESS"])
        let own = try job.result("startRun", ["jobName": "silent", "stallAfterMs": 60_000])["jobRunId"] as! String
        usleep(500_000)
        let early = try job.result("getRun", ["jobRunId": silent])["run"] as! [String: Any]
        #expect(early["stalledSince"] is NSNull, "not before --stall-min-ms")
        let later = try Insights.waitForRun(job, silent, within: 5) { !($0["stalledSince"] is NSNull) }
        #expect(!(later["stalledSince"] is NSNull))
        let startedAt = Insights.ms(later["startedAt"])!
        #expect(Insights.ms(later["stalledSince"]) == startedAt)
        #expect(try Insights.messages(job, silent, level: "warning").first?.hasPrefix("No progress for ") == true)
        let done = try job.result("getRun", ["jobRunId": finished])["run"] as! [String: Any]
        #expect(done["stalledSince"] is NSNull)
        #expect(try Insights.messages(job, finished, level: "warning").isEmpty)
        // Its own stallAfterMs (60 s) overrides the daemon's 1 s.
        let patient = try job.result("getRun", ["jobRunId": own])["run"] as! [String: Any]
        #expect(patient["stalledSince"] is NSNull)
        let bad = try job.call("startRun", ["jobName": "silent", "stallAfterMs": 0])
        #expect((bad["error"] as? [String: Any])?["code"] as? Int == -32602)
    }
}
