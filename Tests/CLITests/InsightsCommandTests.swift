import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `jobs`, `history`, `compare` and the timeline of `show`, against runs stored through a plain client.
@Suite struct InsightsCommandTests {
    /// Three SUCCESS runs of `nightly` (Fetch, then Sync) and a RUNNING run of `other`.
    struct Fixture {
        let daemon: TestDaemon
        let runs: [String]
        let running: String

        init() throws {
            daemon = try TestDaemon()
            let view = try DaemonView(daemon)
            var runs: [String] = []
            for (ms, n) in [(10, 3), (40, 5), (20, 4)] {
                let id = try view.startRun("nightly")
                try view.call("setStage", ["jobRunId": id, "stage": "Fetch"])
                usleep(5_000)
                try view.call("setStage", ["jobRunId": id, "stage": "Sync"])
                usleep(UInt32(ms) * 1000)
                try view.call("addOutcome", ["jobRunId": id, "key": "synced", "count": n])
                try view.call("finishRun", ["jobRunId": id, "status": "SUCCESS"])
                runs.append(id)
            }
            self.runs = runs
            running = try view.startRun("other")
        }

        func joblog(_ arguments: String...) throws -> CLI.Output {
            try CLI.run(arguments, socket: daemon.socketPath)
        }
    }

    @Test func jobsListsEveryJobName() throws {
        let f = try Fixture()
        let out = try f.joblog("jobs")
        #expect(out.status == 0, "\(out)")
        let rows = out.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first?.hasPrefix("JOB") == true)
        #expect(rows.count == 3)
        #expect(
            rows[1].range(of: #"^other +#\#(f.running) +RUNNING .* never +1 +1$"#, options: .regularExpression) != nil)
        #expect(rows[2].range(of: #"^nightly +#\#(f.runs[2]) +SUCCESS .* 3 +0$"#, options: .regularExpression) != nil)
        let json = try f.joblog("jobs", "--prefix", "night", "--json")
        let jobs =
            (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["jobs"]
            as? [[String: Any]]
        #expect(jobs?.map { $0["jobName"] as? String } == ["nightly"])
    }

    @Test func historyShowsRunsASparklineAndStatistics() throws {
        let f = try Fixture()
        let out = try f.joblog("history", "nightly")
        #expect(out.status == 0, "\(out)")
        #expect(out.stdout.contains("nightly: 3 finished runs, 100% SUCCESS; duration p50 "))
        let spark = out.stdout.split(separator: "\n").first { $0.hasPrefix("durations (oldest → newest): ") }
        #expect(spark.map { $0.split(separator: " ").last?.count } == 3)
        #expect(out.stdout.contains("synced=5"))
        #expect(out.stdout.contains("  Sync: "))
        let json = try f.joblog("history", "nightly", "--json")
        let stats =
            (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["stats"]
            as? [String: Any]
        #expect(stats?["runs"] as? Int == 3)
        #expect(try f.joblog("history", "nightly", "--last", "0").status == 64)
    }

    @Test func showHasTheTimelineAndCompareTheComparison() throws {
        let f = try Fixture()
        let show = try f.joblog("show", f.runs[1])
        #expect(show.status == 0, "\(show)")
        #expect(show.stdout.contains("stages:\n  Fetch"))
        #expect(
            show.stdout.range(of: #"\n  Sync +\d+ms  \(usual \d+ms, \d+\.\d×\)"#, options: .regularExpression) != nil)
        #expect(show.stdout.contains("compared with the median of 2 runs:"))
        let compare = try f.joblog("compare", f.runs[1], f.runs[0])
        #expect(compare.status == 0, "\(compare)")
        #expect(compare.stdout.hasPrefix("run \(f.runs[1]) compared with the run \(f.runs[0]):"))
        #expect(compare.stdout.contains("  synced: 5 vs 3 (+2)"))
        #expect(try f.joblog("compare", "999999").status == 66)
    }
}
