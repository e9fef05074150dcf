import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 19 #1, #6, #9, #14 (CLI parts): what a newcomer expects of `joblog`.
@Suite struct NewcomerTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.path + "/joblog-\(name)-\(getpid())-\(UUID().uuidString.prefix(6))"
    }

    @Test func versionIsPrinted() throws {
        let out = try CLI.run(["--version"], socket: nil)
        #expect(out.status == 0, "\(out)")
        #expect(out.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(out.stdout)")
    }

    @Test func runTakesTheCommandWithoutDoubleDash() throws {
        let daemon = try TestDaemon()
        let out = try CLI.run(["run", "echo", "hi", "--name", "-x"], socket: daemon.socketPath)
        #expect(out.status == 0, "\(out)")
        #expect(out.stdout == "hi --name -x\n", "everything after the command is its own: \(out.stdout)")
        let view = try DaemonView(daemon)
        let run = try #require(try view.runs().first)
        #expect(run["jobName"] as? String == "echo")
        #expect(run["status"] as? String == "SUCCESS")
        let named = try CLI.run(["run", "--name", "greet", "sh", "-c", "exit 3"], socket: daemon.socketPath)
        #expect(named.status == 3, "\(named)")
        #expect(try view.runs().first?["jobName"] as? String == "greet")
        let dashed = try CLI.run(["run", "--name", "old", "--", "true"], socket: daemon.socketPath)
        #expect(dashed.status == 0, "-- still works: \(dashed)")
    }

    @Test func runPutsItsOwnDirectoryOnThePath() throws {
        let daemon = try TestDaemon()
        // A PATH without joblog's directory: the command still finds `joblog`.
        let out = try CLI.run(
            ["run", "--name", "p", "sh", "-c", "command -v joblog; joblog info from-path"], socket: daemon.socketPath,
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(out.status == 0, "\(out)")
        let found = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            URL(fileURLWithPath: found).resolvingSymlinksInPath().path
                == URL(fileURLWithPath: CLI.binary).resolvingSymlinksInPath().path, "\(out.stdout)")
        let view = try DaemonView(daemon)
        let id = try #require(try view.runs().first?["id"] as? String)
        #expect(try view.messages(id).contains("from-path"))
    }

    @Test func jobSideCommandsNeverFailAWrappedScript() throws {
        let daemon = try TestDaemon()
        // The daemon goes away while the job runs: `set -e` and the job-side commands keep it alive.
        let script = """
            set -e
            joblog info before
            kill -9 \(daemon.pid)
            sleep 0.2
            joblog stage Later
            joblog info after
            joblog warning still
            echo done
            """
        let out = try CLI.run(["run", "--name", "q", "sh", "-c", script], socket: daemon.socketPath)
        #expect(out.stdout == "done\n", "\(out)")
        #expect(out.status == 0, "\(out)")

        let socket = Self.temporaryPath("none") + ".sock"
        let quiet = try CLI.run(["info", "x", "--run", "5", "--quiet-if-absent"], socket: socket)
        #expect(quiet.status == 0 && quiet.stderr.isEmpty && quiet.stdout.isEmpty, "\(quiet)")
        let env = try CLI.run(
            ["stage", "x", "--run", "5"], socket: socket, environment: ["JOBLOG_QUIET_IF_ABSENT": "1"])
        #expect(env.status == 0 && env.stderr.isEmpty, "\(env)")
        let start = try CLI.run(["start", "nightly", "--quiet-if-absent"], socket: socket)
        #expect(start.status == 0 && start.stdout == "0\n", "run id 0: the other commands do nothing: \(start)")
        let loud = try CLI.run(["info", "x", "--run", "5"], socket: socket)
        #expect(loud.status == 69, "asked directly, the exit code stays: \(loud)")
    }

    @Test func noDaemonSaysWhyQuickly() throws {
        let missing = Self.temporaryPath("missing") + ".sock"
        let file = Self.temporaryPath("file")
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { unlink(file) }
        let dead = Self.temporaryPath("dead") + ".sock"
        try Self.bindWithoutListening(dead)
        defer { unlink(dead) }
        for (socket, reason) in [(missing, "no such file"), (file, "not a socket"), (dead, "nobody listening")] {
            let started = Date()
            let out = try CLI.run(["list"], socket: socket)
            let elapsed = Date().timeIntervalSince(started)
            #expect(out.status == 69, "\(out)")
            #expect(
                out.stderr
                    == "joblog: daemon unreachable at \(socket) (\(reason)); start it with: joblogd --socket \(socket)\n",
                "\(out.stderr)")
            // 0.2 s of waiting plus the process's own start.
            #expect(elapsed < 0.6, "\(reason): \(elapsed) s")
        }
    }

    @Test func pruneDeletesOldFinishedRuns() throws {
        let daemon = try TestDaemon()
        let view = try DaemonView(daemon)
        let done = try view.startRun("old")
        try view.call("info", ["jobRunId": done, "message": "x"])
        try view.call("finishRun", ["jobRunId": done, "status": "FAILED"])
        _ = try view.startRun("live")
        let none = try CLI.run(["prune", "--older-than", "30d"], socket: daemon.socketPath)
        #expect(none.status == 0, "\(none)")
        #expect(none.stdout == "deleted 0 runs and 0 log entries\n")
        let some = try CLI.run(["prune", "--older-than", "0d", "--status", "failed"], socket: daemon.socketPath)
        #expect(some.stdout == "deleted 1 run and 1 log entry\n", "\(some)")
        #expect(try view.runs().map { $0["jobName"] as? String } == ["live"], "RUNNING runs stay")
        for bad in [
            ["prune"], ["prune", "--older-than", "3h"], ["prune", "--older-than", "1d", "--status", "running"],
        ] {
            let out = try CLI.run(bad, socket: daemon.socketPath)
            #expect(out.status == 64, "joblog \(bad): \(out)")
        }
    }

    /// A Unix socket file nobody listens on (bound, then the descriptor closed).
    static func bindWithoutListening(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(fd)
        guard rc == 0 else { throw TestFailure("bind \(path): errno \(errno)") }
    }
}
