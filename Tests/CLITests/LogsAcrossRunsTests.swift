import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 19 #7 and #10: `joblog logs` as journalctl users expect it: what is hidden,
/// `--all`, `--after`, `--since`/`--until`, `--job`, `--all-runs`, `--grep`, level
/// aliases, `--follow` across runs, and tracebacks as indented lines.
@Suite struct LogsAcrossRunsTests {
    /// Two runs of `nightly` and one of `backup`, finished, with entries at every level.
    struct Fixture {
        let daemon: TestDaemon
        let view: DaemonView
        let first: String
        let second: String
        let backup: String

        init() throws {
            daemon = try TestDaemon()
            view = try DaemonView(daemon)
            first = try view.startRun("nightly")
            for i in 1...5 { try view.call("info", ["jobRunId": first, "message": "first \(i)"]) }
            try view.call("error", ["jobRunId": first, "message": "first failed", "context": ["code": 7]])
            try view.call("finishRun", ["jobRunId": first, "status": "SUCCESS"])
            backup = try view.startRun("backup")
            try view.call("warning", ["jobRunId": backup, "message": "disk almost full"])
            try view.call("finishRun", ["jobRunId": backup, "status": "SUCCESS"])
            second = try view.startRun("nightly")
            try view.call("debug", ["jobRunId": second, "message": "second debug"])
            try view.call("warning", ["jobRunId": second, "message": "second warning", "context": ["host": "db1"]])
            try view.call("finishRun", ["jobRunId": second, "status": "SUCCESS"])
        }

        func joblog(_ arguments: String...) throws -> CLI.Output {
            let out = try CLI.run(arguments, socket: daemon.socketPath)
            #expect(out.status == 0, "joblog \(arguments): \(out)")
            return out
        }
    }

    /// The message of each printed line (after `time level [run] `).
    static func messages(_ text: String) -> [String] {
        text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            let start = parts.count > 2 && parts[2].contains("#") ? 3 : 2
            return parts.dropFirst(start).joined(separator: " ")
        }
    }

    @Test func saysHowManyEntriesAreHiddenAndAllShowsThem() throws {
        let f = try Fixture()
        let newest = try f.joblog("logs", f.first, "--limit", "2")
        #expect(Self.messages(newest.stdout) == ["first 5", #"first failed {"code":7}"#], "\(newest.stdout)")
        #expect(
            newest.stderr
                == "joblog: 4 earlier entries are not shown (--all shows every entry, --limit N the newest N)\n",
            "\(newest.stderr)")
        let all = try f.joblog("logs", f.first, "--all")
        #expect(Self.messages(all.stdout).count == 6)
        #expect(all.stderr.isEmpty)
        let everything = try f.joblog("logs", f.first)
        #expect(everything.stderr.isEmpty, "nothing hidden, nothing said")
    }

    @Test func afterPagesByID() throws {
        let f = try Fixture()
        let ids = try f.view.logs(f.first).compactMap { $0["id"] as? String }
        let page = try f.joblog("logs", f.first, "--after", ids[1], "--limit", "2")
        #expect(Self.messages(page.stdout) == ["first 3", "first 4"], "\(page.stdout)")
        #expect(page.stderr.contains("--after \(ids[3])"), "how to see the next page: \(page.stderr)")
    }

    @Test func jobAndAllRunsNameEachRun() throws {
        let f = try Fixture()
        let job = try f.joblog("logs", "--job", "nightly", "--all")
        let lines = job.stdout.split(separator: "\n")
        #expect(lines.count == 8, "6 + 2 entries: \(job.stdout)")
        #expect(lines.first?.contains(" nightly#\(f.first) ") == true, "\(job.stdout)")
        #expect(lines.last?.contains(" nightly#\(f.second) ") == true)
        #expect(!job.stdout.contains("backup"))

        let errors = try f.joblog("logs", "--all-runs", "--level", "warn", "--since", "1h")
        #expect(
            Self.messages(errors.stdout) == [
                #"first failed {"code":7}"#, "disk almost full", #"second warning {"host":"db1"}"#,
            ], "\(errors.stdout)")
        let err = try f.joblog("logs", "--all-runs", "--level", "err")
        #expect(Self.messages(err.stdout) == [#"first failed {"code":7}"#], "journalctl's `err`")
        let crit = try f.joblog("logs", "--all-runs", "--level", "crit")
        #expect(crit.stdout == err.stdout)
    }

    @Test func grepSinceAndUntilFilter() throws {
        let f = try Fixture()
        let grep = try f.joblog("logs", "--all-runs", "--grep", "db1")
        #expect(
            Self.messages(grep.stdout) == [#"second warning {"host":"db1"}"#], "context is searched: \(grep.stdout)")
        let inRun = try f.joblog("logs", f.first, "--grep", "first 3")
        #expect(Self.messages(inRun.stdout) == ["first 3"])
        let future = try f.joblog("logs", "--all-runs", "--since", "2999-01-01")
        #expect(future.stdout.isEmpty)
        let past = try f.joblog("logs", "--all-runs", "--until", "2000-01-01T00:00:00Z")
        #expect(past.stdout.isEmpty)
        let recent = try f.joblog("logs", "--all-runs", "--since", "10m", "--until", "2999-01-01 00:00")
        #expect(Self.messages(recent.stdout).count == 9, "\(recent.stdout)")
        let bad = try CLI.run(["logs", "--all-runs", "--since", "soon"], socket: f.daemon.socketPath)
        #expect(bad.status == 64, "\(bad)")
        let neither = try CLI.run(["logs"], socket: f.daemon.socketPath)
        #expect(neither.status == 64)
    }

    @Test func followAcrossRunsSeesNewRuns() throws {
        let f = try Fixture()
        let follow = try CLI.start(
            ["logs", "--job", "nightly", "--follow", "--limit", "1"], socket: f.daemon.socketPath)
        defer { kill(follow.pid, SIGTERM) }
        try CLI.waitUntil("the newest entry") { follow.stdoutSoFar.contains("second warning") }
        let third = try f.view.startRun("nightly")
        try f.view.call("info", ["jobRunId": third, "message": "third run speaks"])
        let other = try f.view.startRun("other")
        try f.view.call("info", ["jobRunId": other, "message": "not nightly"])
        try CLI.waitUntil("an entry of a run started later") { follow.stdoutSoFar.contains("third run speaks") }
        #expect(follow.isRunning, "across runs it follows until stopped")
        #expect(!follow.stdoutSoFar.contains("not nightly"))
        #expect(follow.stdoutSoFar.contains("nightly#\(third)"))
    }

    @Test func tracebacksAreIndentedLines() throws {
        let f = try Fixture()
        let run = try f.view.startRun("tb")
        let stack = "Traceback (most recent call last):\n  File \"job.py\", line 3, in <module>\nValueError: bad"
        try f.view.call("error", ["jobRunId": run, "message": "crashed", "context": ["exc": stack, "user": 4]])
        try f.view.call(
            "finishRun",
            ["jobRunId": run, "status": "FAILED", "error": ["message": "boom", "stack": "at a()\nat b()"]])
        let out = try f.joblog("logs", run)
        let lines = out.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(out.stdout)")
        #expect(lines[0].hasSuffix(#"crashed {"user":4}"#), "the traceback leaves the context: \(lines[0])")
        #expect(lines[1] == "    Traceback (most recent call last):")
        #expect(lines[2] == "      File \"job.py\", line 3, in <module>")
        #expect(lines[3] == "    ValueError: bad")
        #expect(lines[5] == "    at a()" && lines[6] == "    at b()", "finishRun's stack: \(out.stdout)")
        let show = try f.joblog("show", run)
        #expect(show.stdout.contains("stack:\n  at a()\n  at b()\n"), "\(show.stdout)")
    }
}
