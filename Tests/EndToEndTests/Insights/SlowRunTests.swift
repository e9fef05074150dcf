import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The slow flag: more than 2× the median of the job's last 20 SUCCESS runs, with at least 5.
/// Durations are wide apart (a usual run needs a stall of hundreds of ms to look slow), so a
/// loaded machine does not flag the usual runs.
@Suite struct SlowRunTests {
    @Test func aRunTwiceTheUsualIsSlowAndNamesItsSlowStage() throws {
        let daemon = try TestDaemon(arguments: ["--liveness-interval-ms", "100"])
        let client = try daemon.connect()
        let watcher = try LineClient(path: daemon.socketPath, timeoutSeconds: 10)
        _ = try watcher.result("watch", ["jobName": "nightly", "level": "error"])
        var usual: [String] = []
        for _ in 0..<6 {
            usual.append(try Insights.run(client, job: "nightly", stages: [("Fetch", 150), ("Sync", 150)]))
        }
        for id in usual {
            #expect((try client.result("getRun", ["jobRunId": id])["run"] as! [String: Any])["slow"] as? Bool == false)
        }
        let slow = try Insights.run(client, job: "nightly", stages: [("Fetch", 150), ("Sync", 1000)])
        let run = try client.result("getRun", ["jobRunId": slow])["run"] as! [String: Any]
        #expect(run["slow"] as? Bool == true)
        // The early flag may come first (the reaper sees it running past 2×); the finish names the stage.
        let warning = try Insights.messages(client, slow, level: "warning").first { $0.hasPrefix("Took ") } ?? ""
        #expect(warning.hasPrefix("Took "))
        #expect(warning.contains("the usual"))
        #expect(warning.contains("slowest stage: Sync ("))
        var types: [String] = []
        while types.filter({ $0 == "run.finished" }).count < 7, let line = try watcher.readLine() {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            types.append((obj["params"] as? [String: Any])?["type"] as? String ?? "")
        }
        #expect(types.filter { $0 == "slow" }.count == 1)
    }

    @Test func aRunningRunPastTwiceTheUsualIsFlaggedEarly() throws {
        let daemon = try TestDaemon(arguments: ["--liveness-interval-ms", "100"])
        let client = try daemon.connect()
        for _ in 0..<5 { try Insights.run(client, job: "early", stages: [("Work", 400)]) }
        let id = try client.result("startRun", ["jobName": "early"])["jobRunId"] as! String
        try client.notify("setStage", ["jobRunId": id, "stage": "Work"])
        usleep(100_000)
        let before = try client.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        #expect(before["slow"] as? Bool == false)
        let flagged = try Insights.waitForRun(client, id, within: 5) { $0["slow"] as? Bool == true }
        #expect(flagged["status"] as? String == "RUNNING")
        #expect(flagged["slow"] as? Bool == true)
        let warning = try Insights.messages(client, id, level: "warning").first ?? ""
        #expect(warning.hasPrefix("Running for "))
        #expect(warning.contains("current stage: Work"))
        _ = try client.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
    }
}
