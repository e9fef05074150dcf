import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 10 points 8 and 9: no option value can make the daemon trap, and no signal short of
/// SIGKILL loses what it has read.
@Suite struct DaemonOptionAndSignalTests {
    @Test(arguments: [
        ["--retain-days", "106751991168"], ["--retain-days", "9223372036854775807"], ["--retain-days", "-1"],
        ["--max-logs-per-run", "0"], ["--max-logs-per-run", "9223372036854775807"],
        ["--liveness-interval-ms", "9223372036854775807"], ["--max-line-bytes", "9223372036854775807"],
        ["--max-connections", "0"], ["--max-connections-per-uid", "0"], ["--flush-interval-ms", "0"],
        ["--socket-mode", "7777"], ["--http-live-rate", "-1"], ["--http-live-rate", "10000001"],
    ])
    func outOfRangeOptionsAreRefusedAtOnce(arguments: [String]) throws {
        let dir = FileManager.default.temporaryDirectory.path + "/joblogd-opt-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = Hardening.runDaemon(["--socket", dir + "/sock", "--db", dir + "/db.sqlite"] + arguments)
        #expect(out.status == 64, "a usage error, not a crash: \(out.status) \(out.output)")
        #expect(out.output.contains(arguments[0]), "the message names the option: \(out.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/sock"), "no socket left behind")
    }

    @Test func theLongestRetentionIsServed() throws {
        let daemon = try TestDaemon(arguments: ["--retain-days", "100000"])
        #expect(try daemon.connect().result("ping")["version"] != nil)
    }

    @Test func signalsOtherThanTermDoNotStopTheDaemon() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        let run = try #require(try client.result("startRun", ["jobName": "signals"])["jobRunId"] as? String)
        let signals: [Int32] = [SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGIO, SIGPROF, SIGVTALRM, SIGXCPU, SIGPWR, 34 + 3]
        for (i, signal) in signals.enumerated() {
            for j in 0..<500 {
                _ = j
                try client.notify("incrementProgress", ["jobRunId": run, "by": 1])
            }
            kill(daemon.pid, signal)
            #expect(try client.result("ping")["version"] != nil, "alive after signal \(signal) (\(i))")
        }
        let progress = try client.result("getProgress", ["jobRunId": run])["progress"] as? [String: Any]
        #expect(progress?["progressCurrent"] as? Int == 500 * signals.count, "nothing read was lost")
        let status = Hardening.eventually(30) { Reliability.logLines(daemon, containing: "status") >= 1 }
        #expect(status, "SIGUSR1 logs a status line: \(daemon.daemonLog())")
        #expect(daemon.daemonLog().contains("commitsPerSecond"))
        #expect(daemon.terminate() == 0)
    }

    @Test func sigquitStopsGracefullyAndKeepsWhatWasRead() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        let run = try #require(try client.result("startRun", ["jobName": "quit"])["jobRunId"] as? String)
        for i in 0..<5000 { try client.notify("info", ["jobRunId": run, "message": "m\(i)"]) }
        _ = try client.result("ping")
        kill(daemon.pid, SIGQUIT)
        daemon.process?.waitUntilExit()
        #expect(daemon.process?.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "socket removed")
        try daemon.start()
        let counts = try daemon.connect().result("getRun", ["jobRunId": run])["run"] as? [String: Any]
        #expect((counts?["logCounts"] as? [String: Any])?["info"] as? Int == 5000)
    }
}
