import Foundation
import JobLogTestSupport
import Testing

/// `joblog watch`: bars redrawn in a real terminal (tmux), plain lines and JSON lines otherwise.
@Suite struct WatchCommandTests {
    @Test(.enabled(if: Tmux.isInstalled, "tmux is not installed: the terminal test of `joblog watch` is skipped"))
    func watchRedrawsInPlaceInATerminal() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let id = try view.startRun("copy-files")
        try view.call("setStage", ["jobRunId": id, "stage": "Copying"])
        try view.call("setTotal", ["jobRunId": id, "total": 100, "unit": "files"])
        try view.call("setProgress", ["jobRunId": id, "current": 10])
        let command =
            "env JOBLOG_SOCKET='\(daemon.socketPath)' '\(CLI.binary)' watch \(id); echo WATCH-EXIT=$?; sleep 60"
        let tmux = try Tmux(command: command)
        defer { tmux.kill() }
        let label = "#\(id) copy-files"
        func barLines(_ pane: String) -> [Substring] { pane.split(separator: "\n").filter { $0.contains(label) } }

        var pane = ""
        try CLI.waitUntil("the first bar") {
            pane = try tmux.capture()
            return pane.contains("10/100 files")
        }
        #expect(barLines(pane).count == 1, "\(pane)")
        #expect(pane.contains(" 10%"))
        #expect(pane.contains("Copying"), "the current stage")

        try view.call("setProgress", ["jobRunId": id, "current": 60])
        try CLI.waitUntil("the advance") {
            pane = try tmux.capture()
            return pane.contains("60/100 files")
        }
        let bar = try #require(barLines(pane).first)
        #expect(barLines(pane).count == 1, "redrawn in place, not appended:\n\(pane)")
        #expect(bar.contains(" 60%"), "\(bar)")
        #expect(bar.filter { $0 == "█" }.count == 60 * 24 / 100, "the bar grew: \(bar)")
        #expect(!pane.contains("10/100"), "the old state is gone")

        try view.call("finishRun", ["jobRunId": id, "status": "SUCCESS"])
        try CLI.waitUntil("watch to exit") {
            pane = try tmux.capture()
            return pane.contains("WATCH-EXIT=")
        }
        #expect(pane.contains("WATCH-EXIT=0"), "\(pane)")
        let final = barLines(pane)
        #expect(final.count == 1, "\(pane)")
        #expect(final.first?.contains("\(label) SUCCESS in ") == true, "the final status: \(pane)")
        #expect(final.first?.contains("60/100 files") == true)
        #expect(!pane.contains("█"), "the bar was replaced by the final status")
    }

    @Test func watchPrintsPlainLinesWhenNotATerminal() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let id = try view.startRun("plain")
        try view.call("setTotal", ["jobRunId": id, "total": 10])
        let watch = try CLI.start(["watch", id], socket: daemon.socketPath)
        let json = try CLI.start(["watch", id, "--json"], socket: daemon.socketPath)
        try CLI.waitUntil("the first line") { watch.stdoutSoFar.contains("0/10") && json.stdoutSoFar.contains("0") }
        try view.call("setProgress", ["jobRunId": id, "current": 3])
        try CLI.waitUntil("the update") {
            watch.stdoutSoFar.contains("3/10") && json.stdoutSoFar.contains("\"progressCurrent\":3")
        }
        try view.call("finishRun", ["jobRunId": id, "status": "FAILED", "error": "disk full"])
        let out = try watch.wait(timeout: 10)
        #expect(out.status == 0, "\(out)")
        #expect(!out.stdout.contains("\u{1B}"), "no escape sequences")
        let rows = out.stdout.split(separator: "\n")
        #expect(rows.count == 3, "one line per change, then the final status:\n\(out.stdout)")
        #expect(rows.first?.contains("[------------------------]    0%  0/10  RUNNING") == true, "\(out.stdout)")
        #expect(rows.dropFirst().first?.contains("30%  3/10") == true)
        let final = #"^#\#(id) plain FAILED in \d+(ms|s)  3/10  error: disk full$"#
        #expect(rows.last?.range(of: final, options: .regularExpression) != nil, "\(out.stdout)")

        let jsonOut = try json.wait(timeout: 10)
        #expect(jsonOut.status == 0)
        let documents = try jsonOut.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let progress = documents.compactMap { $0["progress"] as? [String: Any] }
        #expect(progress.count == documents.count && documents.count == 3, "\(jsonOut.stdout)")
        #expect(progress.map { $0["progressCurrent"] as? Int } == [0, 3, 3])
        #expect(progress.last?["status"] as? String == "FAILED")
    }

    @Test func watchWithoutIDFollowsEveryRunningRun() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let first = try view.startRun("first")
        let watch = try CLI.start(["watch"], socket: daemon.socketPath)
        try CLI.waitUntil("the first run") { watch.stdoutSoFar.contains("#\(first) first") }
        let second = try view.startRun("second")
        try CLI.waitUntil("the run started meanwhile") { watch.stdoutSoFar.contains("#\(second) second") }
        try view.call("finishRun", ["jobRunId": first, "status": "SUCCESS"])
        try CLI.waitUntil("the first final status") { watch.stdoutSoFar.contains("#\(first) first SUCCESS") }
        #expect(watch.process.isRunning, "one run is still running")
        try view.call("finishRun", ["jobRunId": second, "status": "CANCELLED"])
        let out = try watch.wait(timeout: 10)
        #expect(out.status == 0, "\(out)")
        #expect(out.stdout.contains("#\(second) second CANCELLED"))
    }
}
