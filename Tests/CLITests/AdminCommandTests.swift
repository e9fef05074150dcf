import Foundation
import JobLogTestSupport
import Testing

/// `list`, `show`, `logs` and their `--json` against runs stored through a plain client.
@Suite struct AdminCommandTests {
    /// A daemon with a finished run (`nightly`) and a RUNNING one (`other`).
    struct Fixture {
        let daemon: TestDaemon
        let finished: String
        let running: String

        init() throws {
            daemon = try TestDaemon()
            let view = try DaemonView(daemon)
            finished = try view.startRun("nightly", params: ["batch": 10])
            try view.call("setStage", ["jobRunId": finished, "stage": "Syncing"])
            try view.call("setTotal", ["jobRunId": finished, "total": 100, "unit": "items"])
            try view.call("setProgress", ["jobRunId": finished, "current": 50])
            try view.call("info", ["jobRunId": finished, "message": "hello", "context": ["a": 1]])
            try view.call("warning", ["jobRunId": finished, "message": "hmm"])
            try view.call("error", ["jobRunId": finished, "message": "boom"])
            try view.call("addOutcome", ["jobRunId": finished, "key": "synced", "count": 3])
            try view.call("finishRun", ["jobRunId": finished, "status": "SUCCESS"])
            running = try view.startRun("other")
        }

        func joblog(_ arguments: String...) throws -> CLI.Output {
            let out = try CLI.run(arguments, socket: daemon.socketPath)
            #expect(!out.stdout.contains("\u{1B}"), "no colors when stdout is not a terminal")
            return out
        }
    }

    /// The lines of `text` matching `pattern` (a regular expression, anchored per line).
    func lines(_ text: String, matching pattern: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter {
            $0.range(of: pattern, options: .regularExpression) != nil
        }
    }

    /// The JSON document `text` holds, as a dictionary for comparisons.
    func json(_ text: String) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
    }

    @Test func listShowsATable() throws {
        let f = try Fixture()
        let out = try f.joblog("list")
        #expect(out.status == 0, "\(out)")
        let rows = out.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 3)
        #expect(
            rows.first?.range(
                of: #"^ID +JOB +STATUS +STAGE +PROGRESS +WARN +ERR +STARTED +DURATION +REASON$"#,
                options: .regularExpression) != nil)
        #expect(
            lines(
                out.stdout,
                matching:
                    #"^\#(f.finished) +nightly +SUCCESS +Syncing +50/100 \(50%\) +1 +1 +\d\d:\d\d:\d\d +\d+(ms|s) +-$"#
            )
            .count == 1, "\(out.stdout)")
        #expect(
            lines(out.stdout, matching: #"^\#(f.running) +other +RUNNING +- +- +0 +0 +\d\d:\d\d:\d\d +\d+(ms|s) +-$"#)
                .count == 1
        )
        #expect(rows[1].hasPrefix(f.running), "newest first")

        let filtered = try f.joblog("list", "--job", "nightly")
        #expect(filtered.stdout.split(separator: "\n").count == 2)
        let byStatus = try f.joblog("list", "--status", "running", "--limit", "5")
        #expect(lines(byStatus.stdout, matching: "other").count == 1)
        #expect(lines(byStatus.stdout, matching: "nightly").isEmpty)
        let none = try f.joblog("list", "--job", "nothing")
        #expect(none.stdout == "no runs\n")
        var host = [CChar](repeating: 0, count: 256)
        _ = gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let byNode = try f.joblog("list", "--node", hostName)
        #expect(byNode.stdout.split(separator: "\n").count == 3, "the daemon's runs carry its host name")
        #expect(try f.joblog("list", "--node", "elsewhere").stdout == "no runs\n")
    }

    @Test func listJSONIsTheDaemonsResult() throws {
        let f = try Fixture()
        let out = try f.joblog("list", "--json")
        #expect(out.status == 0)
        #expect(out.stdout.split(separator: "\n").count == 1, "one document")
        let direct = try DaemonView(f.daemon).call("listRuns", ["limit": 50]) as NSDictionary
        #expect(try json(out.stdout) == direct)
    }

    @Test func showPrintsKeyValueLines() throws {
        let f = try Fixture()
        let out = try f.joblog("show", f.finished)
        #expect(out.status == 0, "\(out)")
        let text = out.stdout
        for pattern in [
            #"^run: +\#(f.finished)$"#, #"^job: +nightly$"#, #"^status: +SUCCESS$"#, #"^stage: +Syncing$"#,
            #"^progress: +50/100 items \(50%\)$"#, #"^duration: +\d+(ms|s)$"#,
            #"^logs: +debug 0, info 2, milestone 0, warning 1, error 1$"#, #"^outcome:$"#, #"^  synced: +3$"#,
            #"^params:$"#, #"^  batch: +10$"#,
        ] {
            #expect(lines(text, matching: pattern).count == 1, "\(pattern) in\n\(text)")
        }
        #expect(lines(text, matching: "^error:").isEmpty)
        let json = try f.joblog("show", f.finished, "--json")
        let direct = try DaemonView(f.daemon).call("getRun", ["jobRunId": f.finished]) as NSDictionary
        #expect(try self.json(json.stdout) == direct)
    }

    @Test func logsPrintOneLinePerEntry() throws {
        let f = try Fixture()
        let out = try f.joblog("logs", f.finished)
        #expect(out.status == 0, "\(out)")
        let rows = out.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 4, "\(out.stdout)")
        #expect(
            rows[0].range(
                of: #"^\d\d:\d\d:\d\d\.\d{3} info      \[Syncing\] Stage: Syncing \{"stage":"Syncing"\}$"#,
                options: .regularExpression) != nil, "\(rows[0])")
        #expect(rows[1].hasSuffix(#" info      [Syncing] hello {"a":1}"#), "\(rows[1])")
        #expect(rows[3].hasSuffix(" error     [Syncing] boom"), "an empty context is left out: \(rows[3])")

        let errors = try f.joblog("logs", f.finished, "--level", "error")
        #expect(errors.stdout.split(separator: "\n").count == 1)
        #expect(errors.stdout.hasSuffix(" error     [Syncing] boom\n"))
        let warnings = try f.joblog("logs", f.finished, "--level", "warning")
        #expect(warnings.stdout.split(separator: "\n").count == 2, "the minimum level")
        let newest = try f.joblog("logs", f.finished, "--limit", "2")
        #expect(newest.stdout.split(separator: "\n").count == 2)
        #expect(newest.stdout.hasSuffix("boom\n"), "the newest entries, oldest first")

        let json = try f.joblog("logs", f.finished, "--level", "error", "--json")
        let direct = try DaemonView(f.daemon).call("getLogs", ["jobRunId": f.finished, "level": "error", "limit": 100])
        #expect(try self.json(json.stdout) == direct as NSDictionary)
    }

    @Test func logsFollowUntilTheRunEnds() throws {
        let f = try Fixture()
        let view = try DaemonView(f.daemon)
        try view.call("info", ["jobRunId": f.running, "message": "before"])
        let follow = try CLI.start(["logs", f.running, "--follow"], socket: f.daemon.socketPath)
        let json = try CLI.start(["logs", f.running, "--follow", "--json"], socket: f.daemon.socketPath)
        try CLI.waitUntil("the first entry") { follow.stdoutSoFar.contains("before") }
        for i in 1...3 {
            try view.call("info", ["jobRunId": f.running, "message": "entry \(i)"])
            usleep(100_000)
        }
        try CLI.waitUntil("new entries") { follow.stdoutSoFar.contains("entry 3") }
        #expect(follow.process.isRunning, "it keeps following a RUNNING run")
        try view.call("finishRun", ["jobRunId": f.running, "status": "FAILED", "error": "late failure"])
        let out = try follow.wait(timeout: 10)
        #expect(out.status == 0, "\(out)")
        // `time level message`: the message follows the padded level; then the run's final status line.
        var lines = out.stdout.split(separator: "\n")
        let final = lines.popLast() ?? ""
        let messages = lines.map {
            $0.split(separator: " ", maxSplits: 2).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        #expect(messages == ["before", "entry 1", "entry 2", "entry 3", "late failure"], "\(out.stdout)")
        #expect(final.hasPrefix("#\(f.running) other FAILED in "), "ends with the final status: \(out.stdout)")
        #expect(final.hasSuffix("error: late failure"))

        let jsonOut = try json.wait(timeout: 10)
        #expect(jsonOut.status == 0)
        let entries = try jsonOut.stdout.split(separator: "\n").map { try self.json(String($0)) }
        #expect(
            entries.compactMap { $0["message"] as? String } == [
                "before", "entry 1", "entry 2", "entry 3", "late failure",
            ])
    }
}
