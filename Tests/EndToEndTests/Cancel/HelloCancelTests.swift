import Foundation
import JobLogTestSupport
import Testing

/// Issue 15 with sessions (issue 14): a connection that says `hello` with `acceptsCancel` takes the
/// `cancel` notice of every run it writes to, so a job that reconnected (its run started on an
/// earlier connection) still hears of a cancel request, also one made while it was away.
@Suite struct HelloCancelTests {
    static let session = "hello-cancel-0123456789"

    @Test func aReconnectedJobHearsACancelRequestedAfterItCameBack() throws {
        let daemon = try TestDaemon()
        let admin = try daemon.connect()
        let id = try #require(try admin.result("startRun", ["jobName": "reconnected"])["jobRunId"] as? String)

        let job = try daemon.connect()
        _ = try job.result("hello", ["session": Self.session, "firstSeq": 1, "acceptsCancel": true])
        _ = try job.result("info", ["jobRunId": id, "message": "back again"])
        _ = try admin.result("cancelRun", ["jobRunId": id, "reason": "after the reconnect", "graceMs": 60_000])

        let notice = try #require(try CancelRunTests.next(job, method: "cancel"))
        let params = try #require(notice["params"] as? [String: Any])
        #expect(params["jobRunId"] as? String == id)
        #expect(params["reason"] as? String == "after the reconnect")
    }

    @Test func aCancelRequestedWhileTheJobWasAwayIsSentWhenItWritesAgain() throws {
        let daemon = try TestDaemon()
        let admin = try daemon.connect()
        let id = try #require(try admin.result("startRun", ["jobName": "away"])["jobRunId"] as? String)
        _ = try admin.result("cancelRun", ["jobRunId": id, "reason": "while away", "graceMs": 60_000])

        let job = try daemon.connect()
        _ = try job.result("hello", ["session": Self.session, "firstSeq": 1, "acceptsCancel": true])
        // A notification: the notice may come before a request's answer would.
        try job.notify("incrementProgress", ["jobRunId": id])
        let notice = try #require(try CancelRunTests.next(job, method: "cancel"))
        #expect((notice["params"] as? [String: Any])?["reason"] as? String == "while away")
    }

    @Test func withoutAcceptsCancelNoNoticeIsSent() throws {
        let daemon = try TestDaemon()
        let admin = try daemon.connect()
        let id = try #require(try admin.result("startRun", ["jobName": "deaf"])["jobRunId"] as? String)
        let job = try daemon.connect()
        _ = try job.result("hello", ["session": Self.session, "firstSeq": 1])
        _ = try job.result("info", ["jobRunId": id, "message": "m"])
        _ = try admin.result("cancelRun", ["jobRunId": id, "reason": "unheard", "graceMs": 60_000])
        // The next line this connection reads is the answer to its ping, not a cancel notice.
        let pong = try job.call("ping")
        #expect(pong["method"] == nil && pong["result"] != nil, "\(pong)")
    }
}
