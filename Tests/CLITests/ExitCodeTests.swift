import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The documented exit codes: 64 usage, 65 other RPC error, 66 unknown run, 69 no daemon.
@Suite struct ExitCodeTests {
    @Test func noDaemonIs69() throws {
        let socket = FileManager.default.temporaryDirectory.path + "/joblog-none-\(getpid()).sock"
        for arguments in [["list"], ["show", "1"], ["logs", "1"], ["watch", "1"], ["info", "x", "--run", "1"]] {
            let out = try CLI.run(arguments, socket: socket)
            #expect(out.status == 69, "joblog \(arguments): \(out)")
            #expect(
                out.stderr
                    == "joblog: daemon unreachable at \(socket) (no such file); start it with: joblogd --socket \(socket)\n"
            )
        }
        let explicit = try CLI.run(["list", "--socket", socket + ".other"], socket: socket)
        #expect(explicit.status == 69)
        #expect(explicit.stderr.contains("--socket \(socket).other"), "--socket wins over JOBLOG_SOCKET")
    }

    @Test func unknownRunIs66() throws {
        let daemon = try TestDaemon()
        for arguments in [
            ["show", "999"], ["logs", "999"], ["logs", "999", "--follow"], ["watch", "999"],
            ["stage", "x", "--run", "999"],
        ] {
            let out = try CLI.run(arguments, socket: daemon.socketPath)
            #expect(out.status == 66, "joblog \(arguments): \(out)")
            #expect(out.stderr == "joblog: unknown run 999 (`joblog list` shows the runs)\n")
        }
    }

    @Test func usageErrorsAre64() throws {
        let daemon = try TestDaemon()
        let cases: [[String]] = [
            ["bogus"], ["list", "--limit", "0"], ["show", "abc"], ["show"], ["logs", "1", "--level", "loud"],
            ["finish", "--run", "1", "--status", "DONE"], ["info", "--run", "1"], ["info", "x"],
            ["info", "x", "--run", "1", "--ctx", "novalue"], ["total", "--run", "1", "--", "-5"],
            ["run", "--name", "x"],
        ]
        for arguments in cases {
            let out = try CLI.run(arguments, socket: daemon.socketPath)
            #expect(out.status == 64, "joblog \(arguments): \(out)")
            #expect(!out.stderr.isEmpty)
        }
        let noRun = try CLI.run(["info", "x"], socket: daemon.socketPath)
        #expect(noRun.stderr.contains("JOBLOG_RUN_ID"), "says how to name the run")
    }

    @Test func otherRPCErrorsAre65() throws {
        let daemon = try TestDaemon()
        let id = try DaemonView(daemon).startRun("limits")
        let out = try CLI.run(["stage", String(repeating: "s", count: 201), "--run", id], socket: daemon.socketPath)
        #expect(out.status == 65, "\(out)")
        #expect(out.stderr == "joblog: setStage: invalid stage: out of range\n")
    }

    @Test func helpDocumentsTheExitCodes() throws {
        let out = try CLI.run(["--help"], socket: nil)
        #expect(out.status == 0)
        for code in ["64", "65", "66", "69"] { #expect(out.stdout.contains("  \(code)  "), "\(code)") }
        #expect(out.stdout.contains("joblogd --socket PATH"))
    }
}
