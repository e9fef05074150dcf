import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `joblog run`: the run's status, error, summary and joblog's exit code for each way a command ends.
@Suite struct RunCommandTests {
    /// Runs `joblog run --name NAME -- sh -c SCRIPT`; returns the output and the run (the newest).
    func run(
        _ script: String, name: String, extra: [String] = [], daemon: TestDaemon
    ) throws -> (CLI.Output, [String: Any]) {
        let out = try CLI.run(["run", "--name", name] + extra + ["--", "sh", "-c", script], socket: daemon.socketPath)
        let view = try DaemonView(daemon)
        guard let newest = try view.runs().first, let id = newest["id"] as? String else {
            throw TestFailure("no run stored; \(out)")
        }
        return (out, try view.run(id))
    }

    @Test func successfulCommand() throws {
        let daemon = try TestDaemon()
        let (out, run) = try self.run("exit 0", name: "ok", extra: ["--param", "batch=10"], daemon: daemon)
        #expect(out.status == 0, "\(out)")
        #expect(run["status"] as? String == "SUCCESS")
        #expect(run["error"] is NSNull)
        #expect(run["pid"] as? Int == Int(out.pid), "the run is owned by joblog itself")
        #expect((run["metadata"] as? [String: Any])?["params"] as? [String: Int] == ["batch": 10])
        let messages = try DaemonView(daemon).messages(try #require(run["id"] as? String))
        #expect(messages == ["Summary"], "the summary is written before finishing")
    }

    @Test func failingCommand() throws {
        let daemon = try TestDaemon()
        let (out, run) = try self.run("exit 3", name: "bad", daemon: daemon)
        #expect(out.status == 3, "\(out)")
        #expect(run["status"] as? String == "FAILED")
        #expect((run["error"] as? [String: Any])?["message"] as? String == "exit code 3")
        let view = try DaemonView(daemon)
        #expect(try view.messages(try #require(run["id"] as? String)) == ["Summary", "exit code 3"])
    }

    @Test func commandKilledBySIGTERM() throws {
        let daemon = try TestDaemon()
        let (out, run) = try self.run("kill -TERM $$", name: "killed", daemon: daemon)
        #expect(out.status == 128 + SIGTERM, "\(out)")
        #expect(!out.signaled, "joblog exits normally, with 128+signal")
        #expect(run["status"] as? String == "CANCELLED")
        #expect((run["error"] as? [String: Any])?["message"] as? String == "killed by signal 15")
    }

    @Test func commandKilledByOtherSignalFails() throws {
        let daemon = try TestDaemon()
        let (out, run) = try self.run("kill -KILL $$", name: "oom", daemon: daemon)
        #expect(out.status == 128 + SIGKILL, "\(out)")
        #expect(run["status"] as? String == "FAILED")
        #expect((run["error"] as? [String: Any])?["message"] as? String == "killed by signal 9")
    }

    @Test func forwardsSIGTERMToTheCommand() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let joblog = try CLI.start(
            ["run", "--name", "long", "--", "sh", "-c", "echo started; exec sleep 30"], socket: daemon.socketPath)
        try CLI.waitUntil("the command to start") { joblog.stdoutSoFar.contains("started") }
        kill(joblog.pid, SIGTERM)
        let out = try joblog.wait(timeout: 10)
        #expect(out.status == 128 + SIGTERM, "\(out)")
        let run = try view.run(try #require(try view.runs().first?["id"] as? String))
        #expect(run["status"] as? String == "CANCELLED")
        #expect((run["error"] as? [String: Any])?["message"] as? String == "killed by signal 15")
    }

    @Test func commandThatHandlesSIGINTIsCancelled() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let script = "trap 'echo interrupted; exit 5' INT; echo ready; while :; do sleep 0.05; done"
        let joblog = try CLI.start(["run", "--name", "graceful", "--", "sh", "-c", script], socket: daemon.socketPath)
        try CLI.waitUntil("the command to start") { joblog.stdoutSoFar.contains("ready") }
        kill(joblog.pid, SIGINT)
        let out = try joblog.wait(timeout: 10)
        #expect(out.status == 5, "\(out)")
        #expect(out.stdout.contains("interrupted"), "the command received the forwarded SIGINT")
        let run = try view.run(try #require(try view.runs().first?["id"] as? String))
        #expect(run["status"] as? String == "CANCELLED", "it exited because of the signal")
        #expect((run["error"] as? [String: Any])?["message"] as? String == "exit code 5")
    }

    @Test(
        .enabled(if: Tmux.isInstalled, "tmux is not installed: the Ctrl-C test of `joblog run` is skipped"),
        .enabled(if: Tmux.which("python3") != nil, "python3 is not installed: the Ctrl-C test is skipped"))
    func ctrlCInATerminalReachesTheCommandOnce() throws {
        let daemon = try TestDaemon()
        // The handler counts the SIGINTs it gets (a shell trap would merge two into one);
        // joblog must not add one to the terminal's.
        let script = daemon.directory + "/count-sigint.py"
        try """
        import signal, sys, time
        count = 0
        def handler(signo, frame):
            global count
            count += 1
        signal.signal(signal.SIGINT, handler)
        print("ready", flush=True)
        while count == 0:
            time.sleep(0.01)
        time.sleep(0.5)
        print("got", count, flush=True)
        sys.exit(7)
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let command =
            "env JOBLOG_SOCKET='\(daemon.socketPath)' '\(CLI.binary)' run --name ctrl-c -- python3 '\(script)'; "
            + "echo RUN-EXIT=$?; sleep 60"
        let tmux = try Tmux(command: command)
        defer { tmux.kill() }
        try CLI.waitUntil("the command to start") { try tmux.capture().contains("ready") }
        try tmux.sendKeys("C-c")
        var pane = ""
        try CLI.waitUntil("joblog to exit") {
            pane = try tmux.capture()
            return pane.contains("RUN-EXIT=")
        }
        #expect(pane.contains("got 1"), "one SIGINT:\n\(pane)")
        #expect(pane.contains("RUN-EXIT=7"), "\(pane)")
        let view = try DaemonView(daemon)
        let run = try view.run(try #require(try view.runs().first?["id"] as? String))
        #expect(run["status"] as? String == "CANCELLED")
        #expect((run["error"] as? [String: Any])?["message"] as? String == "exit code 7")
    }

    @Test func exportsRunIDAndSocket() throws {
        let daemon = try TestDaemon()
        let (out, run) = try self.run("echo \"$JOBLOG_RUN_ID $JOBLOG_SOCKET\"", name: "env", daemon: daemon)
        #expect(out.status == 0)
        let id = try #require(run["id"] as? String)
        #expect(out.stdout == "\(id) \(daemon.socketPath)\n")
    }

    @Test func captureRecordsLinesAndPassesThemThrough() throws {
        let daemon = try TestDaemon()
        let script = "echo out one; echo err one >&2; echo; echo out two; printf 'no newline'"
        let (out, run) = try self.run(script, name: "cap", extra: ["--capture"], daemon: daemon)
        #expect(out.status == 0, "\(out)")
        #expect(out.stdout == "out one\n\nout two\nno newline")
        #expect(out.stderr == "err one\n")
        let view = try DaemonView(daemon)
        let id = try #require(run["id"] as? String)
        #expect(try view.messages(id, level: "warning") == ["err one"])
        let info = try view.logs(id).filter { $0["level"] as? String == "info" }.compactMap { $0["message"] as? String }
        #expect(info == ["out one", "out two", "no newline"], "blank lines are skipped")
    }

    @Test func missingCommandExits127() throws {
        let daemon = try TestDaemon()
        let out = try CLI.run(["run", "--name", "nf", "--", "/nonexistent/tool"], socket: daemon.socketPath)
        #expect(out.status == 127, "\(out)")
        #expect(out.stderr.contains("cannot run /nonexistent/tool"))
        let view = try DaemonView(daemon)
        let run = try view.run(try #require(try view.runs().first?["id"] as? String))
        #expect(run["status"] as? String == "FAILED")
    }

    @Test func withoutDaemonTheCommandStillRuns() throws {
        let socket = FileManager.default.temporaryDirectory.path + "/joblog-no-daemon-\(getpid()).sock"
        let script = "joblog stage Work && joblog info hello && echo \"ran with run $JOBLOG_RUN_ID\"; exit 4"
        let out = try CLI.run(["run", "--name", "x", "--", "sh", "-c", script], socket: socket)
        #expect(out.status == 4, "\(out)")
        #expect(out.stdout == "ran with run 0\n", "job-side commands are no-ops for run 0")
        let warnings = out.stderr.split(separator: "\n")
        #expect(warnings.count == 1, "one warning: \(out.stderr)")
        #expect(out.stderr.contains("daemon unreachable at \(socket) (no such file)"))
        #expect(out.stderr.contains("joblogd --socket \(socket)"))
    }

    @Test func usageErrors() throws {
        let daemon = try TestDaemon()
        let noCommand = try CLI.run(["run", "--name", "x"], socket: daemon.socketPath)
        #expect(noCommand.status == 64, "\(noCommand)")
        #expect(noCommand.stderr.contains("Give the command to run"))
        let longName = try CLI.run(
            ["run", "--name", String(repeating: "n", count: 201), "--", "true"], socket: daemon.socketPath)
        #expect(longName.status == 64)
        #expect(try DaemonView(daemon).runs().isEmpty)
    }
}
