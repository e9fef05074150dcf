import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `listJobs`, `getJobStats` and `compareRuns` against values computed here from `listRuns`/`getStages`.
@Suite struct JobStatsTests {
    /// Total milliseconds per stage name of one run.
    static func stageTotals(_ client: LineClient, _ id: String) throws -> [String: Int64] {
        var totals: [String: Int64] = [:]
        for s in try client.result("getStages", ["jobRunId": id])["stages"] as! [[String: Any]] {
            totals[s["stage"] as! String, default: 0] += Int64(s["durationMs"] as! Int)
        }
        return totals
    }

    @Test func statisticsEqualValuesComputedFromTheRuns() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        let plan: [(String, Int, Int)] = [
            ("SUCCESS", 10, 5), ("FAILED", 30, 1), ("SUCCESS", 20, 9), ("SUCCESS", 5, 3), ("CANCELLED", 15, 0),
            ("SUCCESS", 25, 7), ("SUCCESS", 12, 4),
        ]
        for (status, ms, n) in plan {
            var outcome = ["synced": n]
            if n % 2 == 1 { outcome["skipped"] = n * 10 }
            try Insights.run(
                client, job: "stats", stages: [("Fetch", ms), ("Sync", ms / 2), ("Fetch", 1)], status: status,
                outcome: outcome)
        }
        try Insights.run(client, job: "stats-other", stages: [("X", 1)])
        _ = try client.result("startRun", ["jobName": "stats"])
        let last: Int64 = 6
        let stats = try client.result("getJobStats", ["jobName": "stats", "last": last])["stats"] as! [String: Any]
        // The same numbers from listRuns and getStages.
        let runs = (try client.result("listRuns", ["jobName": "stats", "limit": 100])["runs"] as! [[String: Any]])
            .filter { $0["status"] as? String != "RUNNING" }.prefix(Int(last))
        #expect(stats["runs"] as? Int == runs.count)
        var byStatus: [String: Int] = [:]
        for r in runs { byStatus[r["status"] as! String, default: 0] += 1 }
        #expect(stats["byStatus"] as? [String: Int] == byStatus)
        let successRate = Double(byStatus["SUCCESS"] ?? 0) / Double(runs.count)
        #expect(abs((stats["successRate"] as! Double) - successRate) < 0.0001)
        let durations = runs.map { Int64($0["durationMs"] as! Int) }
        let d = stats["durationMs"] as! [String: Any]
        #expect(d["p50"] as? Int == Insights.percentile(durations, 0.5).map(Int.init))
        #expect(d["p95"] as? Int == Insights.percentile(durations, 0.95).map(Int.init))
        #expect(d["max"] as? Int == durations.max().map(Int.init))
        var perStage: [String: [Int64]] = [:]
        for r in runs {
            for (stage, ms) in try Self.stageTotals(client, r["id"] as! String) {
                perStage[stage, default: []].append(ms)
            }
        }
        let stages = stats["stageDurationsMs"] as! [String: [String: Int]]
        #expect(Set(stages.keys) == ["Fetch", "Sync"])
        for (stage, values) in perStage {
            #expect(stages[stage]?["p50"] == Insights.percentile(values, 0.5).map(Int.init))
            #expect(stages[stage]?["p95"] == Insights.percentile(values, 0.95).map(Int.init))
        }
        // `last` is null when the newest run did not report the key ("skipped" here).
        let outcome = stats["outcome"] as! [String: [String: Any]]
        for key in ["synced", "skipped"] {
            let values = runs.compactMap { ($0["outcomeSummary"] as? [String: Int])?[key] }.map(Int64.init)
            #expect(outcome[key]?["median"] as? Int == Insights.percentile(values, 0.5).map(Int.init))
            #expect(outcome[key]?["min"] as? Int == values.min().map(Int.init))
            #expect(outcome[key]?["max"] as? Int == values.max().map(Int.init))
            #expect(outcome[key]?["last"] as? Int == (runs.first?["outcomeSummary"] as? [String: Int])?[key])
        }
        #expect(outcome["skipped"]?["last"] is NSNull)
        let recent = stats["recent"] as! [[String: Any]]
        #expect(recent.map { $0["id"] as? String } == runs.map { $0["id"] as? String })
        // Limits.
        let bad = try client.call("getJobStats", ["jobName": "stats", "last": 1001])
        #expect((bad["error"] as? [String: Any])?["code"] as? Int == -32602)

        // listJobs: most recent first, a prefix filter, the running count.
        let jobs = try client.result("listJobs", [:])["jobs"] as! [[String: Any]]
        #expect(jobs.map { $0["jobName"] as? String } == ["stats", "stats-other"])
        #expect(jobs.first?["runs"] as? Int == plan.count + 1)
        #expect(jobs.first?["running"] as? Int == 1)
        let other = try client.result("listJobs", ["jobName": "stats-"])["jobs"] as! [[String: Any]]
        #expect(other.map { $0["jobName"] as? String } == ["stats-other"])
        #expect((other.first?["lastRun"] as? [String: Any])?["status"] as? String == "SUCCESS")
        #expect(other.first?["lastSuccessAt"] is String)
    }

    @Test func compareRunsAgainstTheUsualRunAndAnotherRun() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        var ids: [String] = []
        for (ms, n) in [(20, 10), (30, 12), (25, 11)] {
            ids.append(
                try Insights.run(client, job: "cmp", stages: [("Fetch", 5), ("Sync", ms)], outcome: ["rows": n]))
        }
        let failed = try Insights.run(client, job: "cmp", stages: [("Fetch", 5)], status: "FAILED")
        let target = try Insights.run(client, job: "cmp", stages: [("Fetch", 5), ("Sync", 120)], outcome: ["rows": 40])
        let c = try client.result("compareRuns", ["jobRunId": target])["comparison"] as! [String: Any]
        #expect(c["baseline"] as? String == "median of 3 runs")
        let run = try client.result("getRun", ["jobRunId": target])["run"] as! [String: Any]
        let usualDurations = try ids.map { id in
            Int64((try client.result("getRun", ["jobRunId": id])["run"] as! [String: Any])["durationMs"] as! Int)
        }
        let d = c["durationMs"] as! [String: Any]
        #expect(d["run"] as? Int == run["durationMs"] as? Int)
        #expect(d["baseline"] as? Int == Insights.percentile(usualDurations, 0.5).map(Int.init))
        let stages = c["stages"] as! [[String: Any]]
        #expect(stages.first?["stage"] as? String == "Sync", "ordered by the size of the change")
        let syncs = try ids.map { try Self.stageTotals(client, $0)["Sync"]! }
        #expect(stages.first?["baseline"] as? Int == Insights.percentile(syncs, 0.5).map(Int.init))
        #expect(stages.first?["run"] as? Int == (try Self.stageTotals(client, target)["Sync"]).map(Int.init))
        let outcome = c["outcome"] as! [[String: Any]]
        #expect(outcome.first?["key"] as? String == "rows")
        #expect(outcome.first?["delta"] as? Int == 40 - 11)
        // Against one run.
        let one =
            try client.result("compareRuns", ["jobRunId": target, "baselineRunId": failed])["comparison"]
            as! [String: Any]
        #expect(one["baseline"] as? String == "run \(failed)")
        let oneStages = one["stages"] as! [[String: Any]]
        #expect(oneStages.first { $0["stage"] as? String == "Sync" }?["baseline"] is NSNull)
        let missing = try client.call("compareRuns", ["jobRunId": target, "baselineRunId": "999999"])
        #expect((missing["error"] as? [String: Any])?["code"] as? Int == -32001)
    }
}
