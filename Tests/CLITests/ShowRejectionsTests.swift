import Foundation
import JobLogTestSupport
import Testing

/// `joblog show` makes refused notifications visible (issue 19 #2).
@Suite struct ShowRejectionsTests {
    @Test func showPrintsTheRefusedNotifications() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let id = try view.startRun("late-writer")
        try view.call("finishRun", ["jobRunId": id, "status": "SUCCESS"])
        try view.client.notify("info", ["jobRunId": id, "message": "after the end"])
        try view.client.notify("setTotal", ["jobRunId": id, "total": "10"])
        _ = try view.client.result("ping")
        let out = try CLI.run(["show", id], socket: daemon.socketPath)
        let line = out.stdout.split(separator: "\n").first { $0.hasPrefix("rejected:") }
        #expect(
            line?.hasSuffix("2 notification(s), last: setTotal: invalid params (total: must be an integer)") == true,
            "\(out.stdout)")

        let clean = try view.startRun("clean")
        let quiet = try CLI.run(["show", clean], socket: daemon.socketPath)
        #expect(!quiet.stdout.contains("rejected:"), "nothing to say when nothing was refused")
    }
}
