import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The job-side commands (`start`, `stage`, ..., `finish`) and the shell example that uses them.
@Suite struct JobSideCommandTests {
    @Test func reportRunWithEveryCommand() throws {
        let daemon = try TestDaemon()
        let socket = daemon.socketPath
        let started = try CLI.run(
            ["start", "manual", "--pid", String(getpid()), "--param", "n=1", "--trigger", "CRON"], socket: socket)
        #expect(started.status == 0, "\(started)")
        let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(id) != nil, "start prints the run id: \(started.stdout)")
        let env = ["JOBLOG_RUN_ID": id]
        let steps: [[String]] = [
            ["stage", "Loading", "Loading things"], ["total", "10", "files"], ["inc"], ["inc", "3"],
            ["progress", "6"],
            [
                "info", "typed", "--ctx", "n=42", "--ctx", "ok=true", "--ctx", "zip=007", "--ctx", "neg=-3",
                "--ctx", "s=a=b", "--ctx", "empty=",
            ],
            ["debug", "d"], ["milestone", "m"], ["warning", "w"], ["error", "e", "--ctx", "file=a.txt"],
            ["outcome", "synced", "4"], ["outcome", "errors"], ["outcome", "synced", "--", "-1"], ["summary"],
            ["finish", "--error", "went wrong"],
        ]
        for step in steps {
            let out = try CLI.run(step, socket: socket, environment: env)
            #expect(out.status == 0, "joblog \(step.joined(separator: " ")): \(out)")
            #expect(out.stdout.isEmpty)
        }
        let view = try DaemonView(daemon)
        let run = try view.run(id)
        #expect(run["status"] as? String == "FAILED", "--error without --status finishes FAILED")
        #expect(run["trigger"] as? String == "CRON")
        #expect(run["currentStage"] as? String == "Loading")
        #expect(run["progressCurrent"] as? Int == 6)
        #expect(run["progressTotal"] as? Int == 10)
        #expect(run["unit"] as? String == "files")
        #expect(run["pid"] as? Int == Int(getpid()))
        #expect(run["outcomeSummary"] as? [String: Int] == ["synced": 3, "errors": 1])
        let logs = try view.logs(id)
        #expect(
            logs.compactMap { $0["message"] as? String } == [
                "Loading things", "typed", "d", "m", "w", "e", "Summary", "went wrong",
            ])
        // Contexts are stored as sent: the typed values are visible in the raw JSON.
        let raw = try DaemonView(daemon).rawLogs(id)
        #expect(raw.contains(#""context":{"n":42,"ok":true,"zip":"007","neg":-3,"s":"a=b","empty":""}"#), "\(raw)")
    }

    @Test func finishTwiceIsAnRPCError() throws {
        let daemon = try TestDaemon()
        let id = try DaemonView(daemon).startRun("twice")
        let first = try CLI.run(["finish", "--run", id], socket: daemon.socketPath)
        #expect(first.status == 0, "\(first)")
        #expect(try DaemonView(daemon).run(id)["status"] as? String == "SUCCESS")
        let second = try CLI.run(["finish", "--run", id, "--status", "cancelled"], socket: daemon.socketPath)
        #expect(second.status == 65, "\(second)")
        #expect(second.stderr.contains("run \(id) is already finished (SUCCESS)"))
    }

    @Test func runIDZeroDoesNothing() throws {
        let daemon = try TestDaemon()
        let out = try CLI.run(["info", "ignored"], socket: daemon.socketPath, environment: ["JOBLOG_RUN_ID": "0"])
        #expect(out.status == 0, "\(out)")
        #expect(try DaemonView(daemon).runs().isEmpty)
    }

    @Test func shellExampleWrappedInRun() throws {
        let daemon = try TestDaemon()
        let dir = daemon.directory + "/logs"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "a\nerror x\nb\n".write(toFile: dir + "/a.log", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/b.log", atomically: true, encoding: .utf8)
        try "ERROR one\n".write(toFile: dir + "/c.log", atomically: true, encoding: .utf8)
        try "not a log\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let script = TestDaemon.packageRoot + "/Examples/shell/report.sh"
        let out = try CLI.run(
            ["run", "--name", "log-report", "--param", "dir=\(dir)", "--", "sh", script, dir],
            socket: daemon.socketPath)
        #expect(out.status == 0, "\(out)")
        let view = try DaemonView(daemon)
        let id = try #require(try view.runs().first?["id"] as? String)
        let run = try view.run(id)
        #expect(run["status"] as? String == "SUCCESS")
        #expect(run["progressCurrent"] as? Int == 3)
        #expect(run["progressTotal"] as? Int == 3)
        #expect(run["unit"] as? String == "files")
        #expect(run["outcomeSummary"] as? [String: Int] == ["summarized": 2, "empty": 1])
        #expect(
            try view.messages(id) == [
                "Looking for *.log files in \(dir)", "Found 3 log files", "Stage: Summarizing", "Summarized a.log",
                "Empty log file b.log", "Summarized c.log", "Report complete", "Summary",
            ])
        let summarized = try view.logs(id).first { $0["message"] as? String == "Summarized a.log" }
        #expect(summarized?["context"] as? NSDictionary == ["file": dir + "/a.log", "lines": 3, "errors": 1])
        #expect(summarized?["stage"] as? String == "Summarizing")
    }
}
