import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `Examples/shell/standalone.sh`: a script that starts and finishes its own run with the job-side commands.
@Suite struct StandaloneExampleTests {
    static let script = TestDaemon.packageRoot + "/Examples/shell/standalone.sh"

    /// Runs the example through `sh` (with `joblog` on PATH).
    func start(_ arguments: [String], daemon: TestDaemon) throws -> Spawned {
        try Spawned(
            "/bin/sh", [Self.script] + arguments, environment: CLI.environment(socket: daemon.socketPath),
            outputPrefix: daemon.directory + "/standalone-\(UUID().uuidString.prefix(8))")
    }

    @Test func successAndFailure() throws {
        let daemon = try TestDaemon()
        let dir = daemon.directory + "/files"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in ["a", "b"] { try name.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        let ok = try start([dir], daemon: daemon)
        #expect(try ok.wait(timeout: 30) == 0, "\(ok.stderr)")
        let view = try DaemonView(daemon)
        let id = try #require(try view.runs().first?["id"] as? String)
        let run = try view.run(id)
        #expect(run["status"] as? String == "SUCCESS")
        #expect(run["pid"] as? Int == Int(ok.pid), "the script owns the run")
        #expect(run["outcomeSummary"] as? [String: Int] == ["checked": 2])
        #expect(run["progressCurrent"] as? Int == 2)
        #expect(try view.messages(id, level: "milestone") == ["Summary"])

        let bad = try start([dir + "/missing"], daemon: daemon)
        #expect(try bad.wait(timeout: 30) >> 8 == 2)
        let failed = try view.run(try #require(try view.runs().first?["id"] as? String))
        #expect(failed["status"] as? String == "FAILED")
        #expect((failed["error"] as? [String: Any])?["message"] as? String == "exit code 2")
    }

    @Test func sigtermCancels() throws {
        let daemon = try TestDaemon()
        let dir = daemon.directory + "/files"
        let bin = daemon.directory + "/bin"
        let release = daemon.directory + "/release"
        for d in [dir, bin] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try "x".write(toFile: dir + "/a", atomically: true, encoding: .utf8)
        // A `cksum` that blocks until the test creates the release file.
        try "#!/bin/sh\nwhile [ ! -e '\(release)' ]; do sleep 0.02; done\necho 1 1\n".write(
            toFile: bin + "/cksum", atomically: true, encoding: .utf8)
        #expect(chmod(bin + "/cksum", 0o755) == 0)
        var environment = CLI.environment(socket: daemon.socketPath)
        environment["PATH"] = bin + ":" + (environment["PATH"] ?? "")
        let job = try Spawned(
            "/bin/sh", [Self.script, dir], environment: environment, outputPrefix: daemon.directory + "/standalone")
        let view = try DaemonView(daemon)
        try CLI.waitUntil("the checksum stage") {
            guard let id = try view.runs().first?["id"] as? String else { return false }
            return try view.run(id)["currentStage"] as? String == "Checksumming"
        }
        kill(job.pid, SIGTERM)
        // The shell runs its trap once the command it waits for returns.
        usleep(100_000)
        #expect(FileManager.default.createFile(atPath: release, contents: nil))
        #expect(try job.wait(timeout: 30) >> 8 == 143, "\(job.stderr)")
        let run = try view.run(try #require(try view.runs().first?["id"] as? String))
        #expect(run["status"] as? String == "CANCELLED")
        #expect((run["error"] as? [String: Any])?["message"] as? String == "interrupted (exit code 143)")
    }
}
