import Foundation
import JobLogTestSupport
import Testing

/// `cancelRun` asked on `b` for a run of `a` reaches the job's connection on `a` (its `cancel`
/// notification), and `b`'s watchers see the request; `a`'s watchers too.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct CrossNodeCancelTests {
    @Test func aCancelAskedOnBReachesTheJobOnA() throws {
        let pair = try CrossNodePair()
        try pair.waitUntilListening()
        let job = try pair.a.connect()
        let watcherOnA = try pair.a.connect()
        let id = try #require(
            try job.result("startRun", ["jobName": "long", "acceptsCancel": true])["jobRunId"] as? String)
        _ = try watcherOnA.result("watch", ["jobRunId": id, "level": "error"])
        let admin = try pair.b.connect()
        let answer = try admin.result("cancelRun", ["jobRunId": id, "reason": "from b", "graceMs": 60_000])
        #expect((answer["run"] as? [String: Any])?["cancelRequestedAt"] is String)

        let notice = try #require(try CancelRunTests.next(job, method: "cancel"))
        let params = try #require(notice["params"] as? [String: Any])
        #expect(params["jobRunId"] as? String == id)
        #expect(params["reason"] as? String == "from b")
        let seenOnA = try CrossNodeEvents.read(watcherOnA, until: Date().addingTimeInterval(10)) {
            $0["type"] as? String == "cancel"
        }
        #expect(seenOnA.last?["reason"] as? String == "from b")

        // The job stops; b's reading of the run agrees, and b sent no signal of its own.
        _ = try job.result("finishRun", ["jobRunId": id, "status": "CANCELLED"])
        let run = try #require(try admin.result("getRun", ["jobRunId": id])["run"] as? [String: Any])
        #expect(run["status"] as? String == "CANCELLED")
        let logs = try CancelRunTests.logs(admin, id).compactMap { $0["message"] as? String }
        #expect(!logs.contains { $0.hasPrefix("Cancel: ") }, "\(logs)")
        #expect(pair.stop() == (0, 0))
    }
}
