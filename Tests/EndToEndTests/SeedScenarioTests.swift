import Foundation
import JobLogTestSupport
import Testing

/// The seed's user-sync job over the socket, 100 users, then the seed's three admin responses.
@Suite struct SeedScenarioTests {
    @Test func userSyncEndToEnd() throws {
        let daemon = try TestDaemon()
        let job = try daemon.connect()
        let started = try job.result(
            "startRun",
            [
                "jobName": "user-sync", "trigger": "MANUAL", "scope": "system", "algorithmVersion": "v1",
                "params": ["batchSize": 100],
            ])
        let id = started["jobRunId"] as! String
        #expect(started["status"] as? String == "RUNNING")
        try job.notify("setStage", ["jobRunId": id, "stage": "Initializing"])
        try job.notify("info", ["jobRunId": id, "message": "Job started", "context": ["batchSize": 100]])
        try job.notify("setStage", ["jobRunId": id, "stage": "Loading users", "message": "Loading from database"])
        try job.notify("setTotal", ["jobRunId": id, "total": 100, "unit": "users"])
        try job.notify("milestone", ["jobRunId": id, "message": "Found 100 users to sync", "context": ["found": 100]])
        try job.notify("setStage", ["jobRunId": id, "stage": "Syncing users"])
        var synced = 0
        var failed = 0
        for user in 1...100 {
            try job.notify("debug", ["jobRunId": id, "message": "Cache hit", "context": ["key": "user-\(user)"]])
            if user % 50 == 0 {
                failed += 1
                try job.notify("addOutcome", ["jobRunId": id, "key": "errors", "count": 1])
                try job.notify(
                    "error",
                    [
                        "jobRunId": id, "message": "Failed to sync user \(user)",
                        "context": ["userId": "\(user)", "error": "Network timeout"],
                    ])
            } else {
                synced += 1
                try job.notify("addOutcome", ["jobRunId": id, "key": "synced", "count": 1])
            }
            if user == 33 {
                try job.notify(
                    "warning", ["jobRunId": id, "message": "User has invalid data", "context": ["userId": "33"]])
            }
            try job.notify("incrementProgress", ["jobRunId": id])
            if (synced + failed) % 10 == 0 {
                try job.notify(
                    "info",
                    [
                        "jobRunId": id, "message": "Progress: \(synced + failed)/100",
                        "context": ["synced": synced, "failed": failed],
                    ])
            }
        }
        // Mid-run progress, from another connection (an admin), after a barrier on the job's.
        _ = try job.result("ping")
        let admin = try daemon.connect()
        let midway = try admin.result("getProgress", ["jobRunId": id])["progress"] as! [String: Any]
        #expect(midway["status"] as? String == "RUNNING")
        #expect(midway["progressMessage"] as? String == "Syncing users (100 / 100)")

        try job.notify("setStage", ["jobRunId": id, "stage": "Finalizing"])
        try job.notify(
            "milestone",
            [
                "jobRunId": id, "message": "Sync complete",
                "context": ["total": 100, "synced": synced, "failed": failed],
            ])
        let summary = try job.result("logSummary", ["jobRunId": id])["outcome"] as! [String: Any]
        #expect(summary["outcomeSummary"] as? [String: Int] == ["synced": 98, "errors": 2])
        let finished = try job.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])["outcome"] as! [String: Any]
        #expect(finished["status"] as? String == "SUCCESS")

        // The seed's GET /logs?level=error&limit=100.
        let errors =
            try admin.result("getLogs", ["jobRunId": id, "level": "error", "limit": 100])["logs"] as! [[String: Any]]
        #expect(errors.count == 2)
        for entry in errors {
            #expect(Set(entry.keys) == ["id", "level", "stage", "message", "context", "createdAt"])
            #expect(entry["level"] as? String == "error")
            #expect(entry["stage"] as? String == "Syncing users")
            #expect((entry["context"] as? [String: String])?["error"] == "Network timeout")
            #expect(entry["id"] is String)
        }
        #expect(errors.map { $0["message"] as? String } == ["Failed to sync user 50", "Failed to sync user 100"])

        // The seed's GET /progress.
        let progress = try admin.result("getProgress", ["jobRunId": id])["progress"] as! [String: Any]
        #expect(progress["id"] as? String == id)
        #expect(progress["jobName"] as? String == "user-sync")
        #expect(progress["status"] as? String == "SUCCESS")
        #expect(progress["currentStage"] as? String == "Finalizing")
        #expect(progress["progressCurrent"] as? Int == 100)
        #expect(progress["progressTotal"] as? Int == 100)
        #expect(progress["progressPercent"] as? Int == 100)
        #expect(progress["progressMessage"] as? String == "Finalizing (100 / 100)")
        #expect(progress["entitiesProcessed"] as? Int == 100)
        #expect(progress["entitiesTotal"] as? Int == 100)
        #expect((progress["startedAt"] as? String)?.hasSuffix("Z") == true)

        // The seed's GET /outcome.
        let outcome = try admin.result("getOutcome", ["jobRunId": id])["outcome"] as! [String: Any]
        #expect(
            Set(outcome.keys) == [
                "id", "jobName", "status", "outcomeSummary", "entitiesProcessed", "entitiesTotal", "durationMs",
                "finishedAt",
            ])
        #expect(outcome["outcomeSummary"] as? [String: Int] == ["synced": 98, "errors": 2])
        #expect(outcome["entitiesProcessed"] as? Int == 100)
        #expect((outcome["durationMs"] as? Int ?? -1) >= 0)

        // The metadata layout {params, progress, outcome}.
        let run = try admin.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        let metadata = run["metadata"] as! [String: Any]
        #expect(metadata["params"] as? [String: Int] == ["batchSize": 100])
        let metaProgress = metadata["progress"] as? [String: Any]
        #expect(metaProgress?["stage"] as? String == "Finalizing")
        #expect(metaProgress?["current"] as? Int == 100)
        #expect(metaProgress?["total"] as? Int == 100)
        #expect(metadata["outcome"] as? [String: Int] == ["synced": 98, "errors": 2])
        #expect(
            run["logCounts"] as? [String: Int] == ["debug": 100, "info": 15, "milestone": 3, "warning": 1, "error": 2])

        // getLogs without a level returns every level; paging from the start and from the end agree.
        let newest = try admin.result("getLogs", ["jobRunId": id, "limit": 5])["logs"] as! [[String: Any]]
        #expect(newest.last?["message"] as? String == "Summary")
        var all: [[String: Any]] = []
        var after = "0"
        while true {
            let page =
                try admin.result("getLogs", ["jobRunId": id, "afterId": after, "limit": 50])["logs"] as! [[String: Any]]
            if page.isEmpty { break }
            all += page
            after = page.last!["id"] as! String
        }
        #expect(all.count == 121)
        #expect(all.suffix(5).map { $0["id"] as! String } == newest.map { $0["id"] as! String })
        let ids = all.map { Int($0["id"] as! String)! }
        #expect(ids == ids.sorted())
    }

    @Test func failingNotificationsAreCountedNotAnswered() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        try client.notify("info", ["jobRunId": "424242", "message": "to nowhere"])
        try client.notify("setTotal", ["jobRunId": "1", "total": -3])
        try client.notify("nope", [:])
        let pong = try client.result("ping", ["rejected": true])
        #expect(pong["protocolVersion"] as? Int == 2)
        #expect(pong["rejected"] as? Int == 3)
        // The run that did not exist was not created by a write.
        let lookup = try client.call("getRun", ["jobRunId": "424242"])
        #expect((lookup["error"] as? [String: Any])?["code"] as? Int == -32001)
        usleep(100_000)
        let log = daemon.daemonLog()
        #expect(log.contains("warning joblogd: reason=info: unknown run"), "\(log)")
        #expect(log.contains("reason=setTotal: invalid params (total: out of range)"))
        #expect(log.contains("reason=nope: method not found"))
    }
}
