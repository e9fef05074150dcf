import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A run that ends CANCELLED because its owner went away after `cancelRun` (not by its own
/// `finishRun`) leaves the insights as consistent as any other end.
@Suite struct CancelledRunInsightsTests {
    @Test func aStalledRunCancelledByItsOwnersExitEndsItsStageAndItsStall() throws {
        let daemon = try TestDaemon(arguments: ["--liveness-interval-ms", "100", "--stall-min-ms", "300"])
        let owner = Process()
        owner.executableURL = URL(fileURLWithPath: "/bin/sleep")
        owner.arguments = ["60"]
        try owner.run()
        defer { if owner.isRunning { kill(owner.processIdentifier, SIGKILL) } }
        let c = try daemon.connect()
        let started = try c.result("startRun", ["jobName": "cancelled-stall", "pid": Int(owner.processIdentifier)])
        let id = try #require(started["jobRunId"] as? String)
        try c.notify("setStage", ["jobRunId": id, "stage": "Waiting"])
        let stalled = try Insights.waitForRun(c, id, within: 30) { !($0["stalledSince"] is NSNull) }
        #expect(!(stalled["stalledSince"] is NSNull), "\(stalled)")

        // The request does not count as the job moving: the run stays stalled until it ends.
        _ = try c.result("cancelRun", ["jobRunId": id, "reason": "stuck", "graceMs": 100])
        let asked = try c.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        if asked["status"] as? String == "RUNNING" { #expect(!(asked["stalledSince"] is NSNull), "\(asked)") }
        let run = try Insights.waitForRun(c, id, within: 30) { $0["status"] as? String != "RUNNING" }
        #expect(run["status"] as? String == "CANCELLED", "\(run)")
        #expect(run["stalledSince"] is NSNull, "a finished run is never stalled")

        let stages = try c.result("getStages", ["jobRunId": id])["stages"] as! [[String: Any]]
        #expect(stages.map { $0["stage"] as? String } == ["Waiting"])
        #expect(Insights.ms(stages.last?["finishedAt"]) == Insights.ms(run["finishedAt"]))
        #expect(stages.last?["durationMs"] is Int)
        let jobs = try c.result("listJobs", ["jobName": "cancelled-stall"])["jobs"] as! [[String: Any]]
        #expect(jobs.first?["running"] as? Int == 0)
        #expect((jobs.first?["lastRun"] as? [String: Any])?["status"] as? String == "CANCELLED")
    }
}
