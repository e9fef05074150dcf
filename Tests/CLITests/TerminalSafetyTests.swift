import Foundation
import JobLogTestSupport
import Testing

/// Issue 10 #5: job data written by anyone who can connect never reaches a terminal as
/// escape sequences: `list`, `show`, `logs`, `watch` and error messages show control
/// characters visibly, unless `--raw`.
@Suite struct TerminalSafetyTests {
    static let title = "\u{1B}]0;owned\u{07}"
    static let clear = "\u{1B}[2J"
    static let red = "\u{1B}[31m"

    /// A finished run whose name, stage, message, context and error carry escape sequences.
    struct Fixture {
        let daemon: TestDaemon
        let id: String

        init() throws {
            daemon = try TestDaemon()
            let view = try DaemonView(daemon)
            id = try view.startRun("job\(TerminalSafetyTests.title)")
            try view.call("setStage", ["jobRunId": id, "stage": "stage\(TerminalSafetyTests.clear)"])
            try view.call("setTotal", ["jobRunId": id, "total": 10, "unit": "u\(TerminalSafetyTests.red)"])
            try view.call(
                "warning",
                ["jobRunId": id, "message": "msg\(TerminalSafetyTests.red)x\rEVIL", "context": ["k": "v"]])
            // A carriage return as JSON whitespace inside the context: kept byte for byte by the daemon.
            try view.client.send(
                #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"\#(id)","message":"ctx","context":{"a":"#
                    + "\r"
                    + #"1}},"id":9}"#)
            _ = try view.client.readLine()
            try view.call(
                "finishRun",
                [
                    "jobRunId": id, "status": "FAILED",
                    "error": "err\(TerminalSafetyTests.title)\(TerminalSafetyTests.clear)",
                ])
        }
    }

    /// No byte a terminal acts on: ESC, BEL, CR.
    static func isSafe(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\r" }
    }

    @Test func listShowLogsAndWatchShowControlCharactersVisibly() throws {
        let f = try Fixture()
        for arguments in [
            ["list"], ["show", f.id], ["logs", f.id], ["logs", "--all-runs"], ["logs", "--job", "job" + Self.title],
            ["watch", f.id],
        ] {
            let out = try CLI.run(arguments, socket: f.daemon.socketPath)
            #expect(out.status == 0, "joblog \(arguments): \(out)")
            #expect(
                Self.isSafe(out.stdout),
                "joblog \(arguments) printed raw control characters: \(out.stdout.debugDescription)")
            #expect(Self.isSafe(out.stderr), "\(out.stderr.debugDescription)")
        }
        let list = try CLI.run(["list"], socket: f.daemon.socketPath, environment: ["COLUMNS": "200"]).stdout
        #expect(list.contains(#"job\x1b]0;owned\x07"#), "\(list)")
        #expect(list.contains(#"stage\x1b[2J"#))
        #expect(list.contains(#"err\x1b]0;owned\x07\x1b[2J"#), "the reason column")
        let show = try CLI.run(["show", f.id], socket: f.daemon.socketPath).stdout
        #expect(show.contains(#"job:"#) && show.contains(#"job\x1b]0;owned\x07"#), "\(show)")
        #expect(show.contains(#"10 u\x1b[31m"#) || show.contains(#"/10 u\x1b[31m"#), "the unit: \(show)")
        #expect(show.contains(#"error:"#) && show.contains(#"err\x1b]0;owned\x07\x1b[2J"#))
        let logs = try CLI.run(["logs", f.id], socket: f.daemon.socketPath).stdout
        #expect(logs.contains(#"msg\x1b[31mx\rEVIL"#), "\(logs)")
        #expect(logs.contains(#"ctx {"a":"#), "the context (whitespace in it is not kept by the daemon): \(logs)")
        #expect(logs.split(separator: "\n").count == 4, "one line per entry: \(logs)")
    }

    @Test func rawPrintsJobDataAsStored() throws {
        let f = try Fixture()
        let list = try CLI.run(["list", "--raw"], socket: f.daemon.socketPath)
        #expect(list.stdout.contains("job" + Self.title), "\(list.stdout.debugDescription)")
        let logs = try CLI.run(["logs", f.id, "--raw"], socket: f.daemon.socketPath)
        #expect(logs.stdout.contains("msg" + Self.red + "x\rEVIL"))
    }

    @Test func errorMessagesQuotingJobDataAreSafe() throws {
        let daemon = try TestDaemon()
        let out = try CLI.run(
            ["run", "--name", "x", "--", "/nonexistent/tool" + Self.clear], socket: daemon.socketPath)
        #expect(out.status == 127, "\(out)")
        #expect(Self.isSafe(out.stderr), "\(out.stderr.debugDescription)")
        #expect(out.stderr.contains(#"/nonexistent/tool\x1b[2J"#), "\(out.stderr)")
    }
}
