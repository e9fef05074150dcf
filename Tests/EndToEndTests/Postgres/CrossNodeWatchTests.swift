import Foundation
import JobLogTestSupport
import Testing

/// Watching across hosts (issue 17): two daemons on one PostgreSQL database; a run written
/// through `a` is watched through `b` as a watcher of `a` sees it.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct CrossNodeWatchTests {
    /// Writes a run through `a` with stages, entries of every level, progress, outcomes; returns its id.
    static func writeRun(_ job: LineClient, name: String) throws -> String {
        let id = try #require(try job.result("startRun", ["jobName": name])["jobRunId"] as? String)
        return id
    }

    static func report(_ job: LineClient, _ id: String) throws {
        try job.notify("setTotal", ["jobRunId": id, "total": 300])
        for (s, stage) in ["load", "transform", "save"].enumerated() {
            try job.notify("setStage", ["jobRunId": id, "stage": stage])
            for i in 0..<40 {
                let method = ["debug", "info", "info", "warning", "milestone"][i % 5]
                try job.notify(method, ["jobRunId": id, "message": "\(stage) \(i)", "context": ["i": i]])
                try job.notify("incrementProgress", ["jobRunId": id, "by": 2])
                if i % 10 == 9 { try job.notify("addOutcome", ["jobRunId": id, "key": "rows", "count": 10]) }
                // Several transactions, several notifications.
                if i % 13 == 0 { _ = try job.result("getRun", ["jobRunId": id]) }
            }
            try job.notify("error", ["jobRunId": id, "message": "stage \(s) had an error"])
        }
        try job.notify("setProgress", ["jobRunId": id, "current": 300])
        try job.notify("addOutcome", ["jobRunId": id, "key": "skipped", "count": 3])
        _ = try job.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
    }

    @Test func aWatcherOnBSeesARunWrittenThroughAInCommitOrder() throws {
        let pair = try CrossNodePair()
        try pair.waitUntilListening()
        let local = try pair.a.connect()
        _ = try local.result("watch", ["jobName": "etl"])
        let all = try pair.b.connect()
        _ = try all.result("watch", [:])
        let warnings = try pair.b.connect()
        _ = try warnings.result("watch", ["level": "warning"])
        let job = try pair.a.connect()
        let id = try Self.writeRun(job, name: "etl")
        let one = try pair.b.connect()
        _ = try one.result("watch", ["jobRunId": id])
        try Self.report(job, id)

        func events(_ client: LineClient) throws -> [[String: Any]] {
            try CrossNodeEvents.read(client, until: Date().addingTimeInterval(20)) {
                $0["type"] as? String == "run.finished" && $0["jobRunId"] as? String == id
            }.filter { $0["jobRunId"] as? String == id }
        }
        let onA = try events(local)
        let onB = try events(all)
        let onBOne = try events(one)
        let onBWarnings = try events(warnings)
        let expected = CrossNodeEvents.exact(onA)
        // Per stage: its `Stage:` entry, 40 entries and an error; the 3 stage changes, the start and the end.
        #expect(expected.count >= 3 * 42 + 3 + 2, "a's own watcher: \(expected.count) events")
        #expect(CrossNodeEvents.exact(onB) == expected)
        // Subscribed after the start: the same from there on.
        #expect(CrossNodeEvents.exact(onBOne).filter { $0 != "started" } == expected.filter { $0 != "started" })
        let warningLevel = expected.filter { line in
            !line.hasPrefix("log") || line.contains(" warning ") || line.contains(" error ")
        }
        #expect(CrossNodeEvents.exact(onBWarnings) == warningLevel)

        let run = try #require(try job.result("getRun", ["jobRunId": id])["run"] as? [String: Any])
        for seen in [onB, onBOne, onBWarnings] {
            // Entries once each, in id order.
            let ids = seen.compactMap { ($0["log"] as? [String: Any])?["id"] as? String }.compactMap { Int64($0) }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            // The last progress and outcome before the end are the run's final ones.
            let progress = CrossNodeEvents.last("progress", seen)
            #expect(
                progress?["current"] as? Int == 300 && progress?["total"] as? Int == 300,
                "\(String(describing: progress))")
            let outcome = CrossNodeEvents.last("outcome", seen)?["outcomeSummary"] as? [String: Any]
            #expect(
                outcome?["rows"] as? Int == 120 && outcome?["skipped"] as? Int == 3, "\(String(describing: outcome))")
            #expect(seen.last?["type"] as? String == "run.finished")
            #expect(seen.last?["status"] as? String == "SUCCESS")
        }
        #expect(run["status"] as? String == "SUCCESS")
        let codes = pair.stop()
        #expect(codes == (0, 0))
    }

    /// A watcher on `b` of a run already under way when `b` started sees what comes after, not
    /// its past again; a run of `b` itself is not told twice to `b`'s watchers.
    @Test func runsUnderWayAndOwnRunsAreNotToldTwice() throws {
        let url = try PostgresCluster.makeDatabase()
        let a = try TestDaemon(arguments: ["--store", url, "--node-name", "a"])
        let job = try a.connect()
        let early = try #require(try job.result("startRun", ["jobName": "early"])["jobRunId"] as? String)
        _ = try job.result("info", ["jobRunId": early, "message": "before b"])
        let b = try TestDaemon(arguments: ["--store", url, "--node-name", "b"])
        let pair = CrossNodePair(a: a, b: b)
        try pair.waitUntilListening()
        let watcher = try b.connect()
        _ = try watcher.result("watch", ["level": "info"])
        let own = try b.connect()
        let mine = try #require(try own.result("startRun", ["jobName": "mine"])["jobRunId"] as? String)
        _ = try own.result("info", ["jobRunId": mine, "message": "b's own"])
        _ = try own.result("finishRun", ["jobRunId": mine, "status": "SUCCESS"])
        _ = try job.result("info", ["jobRunId": early, "message": "after b"])
        _ = try job.result("finishRun", ["jobRunId": early, "status": "SUCCESS"])
        var finished = 0
        let seen = try CrossNodeEvents.read(watcher, until: Date().addingTimeInterval(20)) {
            let run = $0["jobRunId"] as? String
            if $0["type"] as? String == "run.finished", run == mine || run == early { finished += 1 }
            return finished == 2
        }
        let messages = seen.compactMap { ($0["log"] as? [String: Any])?["message"] as? String }
        #expect(messages.filter { $0 == "b's own" }.count == 1)
        #expect(!messages.contains("before b"))
        #expect(messages.contains("after b"))
        let ends = seen.filter { $0["type"] as? String == "run.finished" }.compactMap { $0["jobRunId"] as? String }
            .filter { $0 == mine || $0 == early }
        #expect(Set(ends) == [mine, early] && ends.count == 2)
        #expect(pair.stop() == (0, 0))
    }
}

extension CrossNodePair {
    init(a: TestDaemon, b: TestDaemon) {
        self.a = a
        self.b = b
    }
}
