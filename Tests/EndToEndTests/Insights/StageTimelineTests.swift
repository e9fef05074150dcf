import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `getStages`: the timeline is kept apart from the log (budget, pruning) and migrates.
@Suite struct StageTimelineTests {
    @Test func timelineSurvivesALogBudgetThatDropsEveryInfo() throws {
        let daemon = try TestDaemon(arguments: ["--max-logs-per-run", "3"])
        let client = try daemon.connect()
        let id = try client.result("startRun", ["jobName": "budget"])["jobRunId"] as! String
        for stage in ["Fetch", "Transform", "Load"] {
            try client.notify("setStage", ["jobRunId": id, "stage": stage, "message": "Now \(stage)"])
            try client.notify("setProgress", ["jobRunId": id, "current": stage.count])
            for i in 0..<10 { try client.notify("info", ["jobRunId": id, "message": "row \(i)"]) }
            for _ in 0..<3 { try client.notify("warning", ["jobRunId": id, "message": "kept"]) }
            usleep(30_000)
        }
        // While it runs, the current stage has no end.
        let live = try client.result("getStages", ["jobRunId": id])["stages"] as! [[String: Any]]
        #expect(live.count == 3)
        #expect(live.last?["finishedAt"] is NSNull && live.last?["durationMs"] is NSNull)
        let finished =
            try client.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])["outcome"] as! [String: Any]
        // Every info entry (the stage entries among them) went to the budget.
        #expect(try Insights.messages(client, id, level: "info").isEmpty)
        let stages = try client.result("getStages", ["jobRunId": id])["stages"] as! [[String: Any]]
        #expect(stages.map { $0["stage"] as? String } == ["Fetch", "Transform", "Load"])
        #expect(stages.map { $0["message"] as? String } == ["Now Fetch", "Now Transform", "Now Load"])
        #expect(stages.map { $0["progressAtStart"] as? Int } == [0, 5, 9])
        #expect(stages.map { $0["progressAtEnd"] as? Int } == [5, 9, 4])
        for (a, b) in zip(stages, stages.dropFirst()) {
            #expect(Insights.ms(a["finishedAt"]) == Insights.ms(b["startedAt"]))
        }
        for s in stages {
            #expect(Insights.ms(s["finishedAt"])! - Insights.ms(s["startedAt"])! == Int64(s["durationMs"] as! Int))
        }
        #expect(Insights.ms(stages.last?["finishedAt"]) == Insights.ms(finished["finishedAt"]))
    }

    @Test func prunedRunsTakeTheirStagesAndJobCounts() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        let id = try Insights.run(client, job: "pruned", stages: [("A", 1), ("B", 1)])
        let kept = try client.result("startRun", ["jobName": "pruned"])["jobRunId"] as! String
        try client.notify("setStage", ["jobRunId": kept, "stage": "Still"])
        #expect((try client.result("getStages", ["jobRunId": id])["stages"] as! [Any]).count == 2)
        usleep(5_000)
        _ = try client.result("pruneRuns", ["olderThanDays": 0])
        let gone = try client.call("getStages", ["jobRunId": id])
        #expect((gone["error"] as? [String: Any])?["code"] as? Int == -32001)
        #expect(
            try LiveRunsTests.storeValue(daemon, "SELECT count(*) FROM stages WHERE run_id = \(id)") == "0")
        #expect((try client.result("getStages", ["jobRunId": kept])["stages"] as! [Any]).count == 1)
        let jobs = try client.result("listJobs", ["jobName": "pruned"])["jobs"] as! [[String: Any]]
        #expect(jobs.count == 1)
        #expect(jobs.first?["runs"] as? Int == 1)
        #expect(jobs.first?["running"] as? Int == 1)
        #expect((jobs.first?["lastRun"] as? [String: Any])?["id"] as? String == kept)
    }

    @Test(.enabled(if: !TestDaemon.onPostgres, "\(TestDaemon.sqliteOnlyReason)"))
    func anExistingStoreIsBackfilledFromItsStageEntries() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        let id = try Insights.run(client, job: "old", stages: [("One", 20), ("Two", 20)])
        try client.notify("info", ["jobRunId": id, "message": "not a stage", "context": ["stage": "x", "more": 1]])
        client.close()
        _ = daemon.terminate()
        // Back to the schema before the insights migration.
        _ = try LiveRunsTests.sqlite(
            daemon.databasePath,
            """
            DROP TABLE stages; DROP TABLE job_names; DROP INDEX runs_by_job_status;
            ALTER TABLE runs DROP COLUMN stalled_since; ALTER TABLE runs DROP COLUMN slow;
            ALTER TABLE runs DROP COLUMN stall_after_ms;
            DELETE FROM grdb_migrations WHERE identifier LIKE 'v7-insights-%';
            """)
        try daemon.start()
        let again = try daemon.connect()
        let stages = try again.result("getStages", ["jobRunId": id])["stages"] as! [[String: Any]]
        #expect(stages.map { $0["stage"] as? String } == ["One", "Two"])
        let run = try again.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        #expect(Insights.ms(stages.last?["finishedAt"]) == Insights.ms(run["finishedAt"]))
        #expect(Insights.ms(stages.first?["finishedAt"]) == Insights.ms(stages.last?["startedAt"]))
        let jobs = try again.result("listJobs", [:])["jobs"] as! [[String: Any]]
        #expect(jobs.first?["jobName"] as? String == "old")
        #expect(jobs.first?["lastSuccessAt"] as? String == run["finishedAt"] as? String)
    }
}
