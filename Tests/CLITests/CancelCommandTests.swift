import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 15: `joblog cancel`, `joblog run` forwarding the request to its command, `show`.
@Suite struct CancelCommandTests {
    /// Starts `joblog run --name NAME -- sh -c SCRIPT`, waits for its run; returns both.
    func start(_ script: String, name: String, daemon: TestDaemon) throws -> (CLI.Running, String) {
        let running = try CLI.start(["run", "--name", name, "--", "sh", "-c", script], socket: daemon.socketPath)
        let view = try DaemonView(daemon)
        var id = ""
        try CLI.waitUntil("the run to start") {
            guard let newest = try view.runs().first, newest["jobName"] as? String == name else { return false }
            id = newest["id"] as? String ?? ""
            return true
        }
        return (running, id)
    }

    /// A shell loop over 1,000 items that reports each and runs its own trap on SIGTERM.
    static let loop = """
        stop=
        trap 'stop=1' TERM
        joblog total 1000 items
        i=0
        while [ $i -lt 1000 ] && [ -z "$stop" ]; do
            sleep 0.01; joblog outcome processed; joblog inc; i=$((i + 1)); echo "$i" > "$1"
        done
        [ -n "$stop" ] && { echo "stopped at $i"; exit 143; }
        """

    @Test func joblogRunForwardsTheRequestToItsCommandAsSIGTERM() throws {
        let daemon = try TestDaemon()
        let file =
            FileManager.default.temporaryDirectory.path + "/cancel-loop-\(getpid())-\(UInt32.random(in: 0...9999))"
        defer { unlink(file) }
        let (running, id) = try start(
            Self.loop.replacingOccurrences(of: "\"$1\"", with: "'\(file)'"), name: "sh-loop", daemon: daemon)
        let done = {
            Int(
                (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                    ?? "") ?? 0
        }
        try CLI.waitUntil("50 items") { done() >= 50 }
        let cancel = try CLI.run(["cancel", id, "--reason", "shell stop", "--grace", "10s"], socket: daemon.socketPath)
        #expect(cancel.status == 0, "\(cancel)")
        #expect(cancel.stdout.contains("cancel requested for run \(id)"), "\(cancel)")
        let atRequest = done()
        let out = try running.wait()
        #expect(out.stdout.contains("stopped at"), "the command's own trap ran: \(out)")
        let stopped = done()
        #expect(stopped < 1000 && stopped - atRequest <= 2, "stopped at \(stopped), asked at \(atRequest)")
        let run = try DaemonView(daemon).run(id)
        #expect(run["status"] as? String == "CANCELLED", "\(run)")
        let message = (run["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.hasPrefix("Cancelled: shell stop"), "\(message)")
        #expect(run["progressCurrent"] as? Int == stopped, "exact up to where it stopped")
        #expect((run["outcomeSummary"] as? [String: Int])?["processed"] == stopped)
        #expect(try DaemonView(daemon).messages(id).contains("Summary"))
    }

    @Test func aCommandThatIgnoresSIGTERMIsKilledAfterTheGrace() throws {
        let daemon = try TestDaemon()
        let (running, id) = try start("trap '' TERM; while :; do sleep 0.05; done", name: "sh-stubborn", daemon: daemon)
        let cancel = try CLI.run(["cancel", id, "--grace", "500ms"], socket: daemon.socketPath)
        #expect(cancel.status == 0, "\(cancel)")
        let out = try running.wait()
        #expect(out.status == 128 + SIGKILL, "\(out)")
        let run = try DaemonView(daemon).run(id)
        #expect(run["status"] as? String == "CANCELLED", "\(run)")
    }

    @Test func showSaysCancelRequestedAndCancelRefusesAFinishedRun() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let id = try view.startRun("shown")
        _ = try view.call("cancelRun", ["jobRunId": id, "reason": "look", "graceMs": 600_000])
        let show = try CLI.run(["show", id], socket: daemon.socketPath)
        #expect(show.stdout.contains("cancel requested"), "\(show)")
        #expect(show.stdout.contains(": look"), "\(show)")
        _ = try view.call("finishRun", ["jobRunId": id, "status": "CANCELLED"])
        let again = try CLI.run(["cancel", id], socket: daemon.socketPath)
        #expect(again.status != 0, "\(again)")
        #expect(again.stderr.contains("already finished"), "\(again)")
        let badGrace = try CLI.run(["cancel", id, "--grace", "2d"], socket: daemon.socketPath)
        #expect(badGrace.status != 0, "\(badGrace)")
    }

    @Test func watchSaysCancelRequested() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let id = try view.startRun("watched")
        try view.call("setTotal", ["jobRunId": id, "total": 10])
        let watch = try CLI.start(["watch", id], socket: daemon.socketPath)
        try CLI.waitUntil("the first line") { watch.stdoutSoFar.contains("0/10") }
        try view.call("cancelRun", ["jobRunId": id, "graceMs": 600_000])
        try CLI.waitUntil("the cancel request") { watch.stdoutSoFar.contains("cancel requested") }
        try view.call("finishRun", ["jobRunId": id, "status": "CANCELLED"])
        let out = try watch.wait(timeout: 10)
        #expect(out.stdout.split(separator: "\n").last?.contains("CANCELLED") == true, "\(out.stdout)")
    }
}
