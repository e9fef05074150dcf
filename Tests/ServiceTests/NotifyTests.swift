import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `NOTIFY_SOCKET`: `READY=1` once a `ping` can be answered, `STATUS=` lines, `STOPPING=1` on
/// SIGTERM, and `WATCHDOG=1` from the writer's loop (none while the writer is stuck).
@Suite struct NotifyTests {
    static func start(_ dir: String, environment: [String: String] = [:]) throws -> (ServiceProcess, NotifyListener) {
        let listener = try NotifyListener(path: dir + "/notify")
        var env = environment
        env["NOTIFY_SOCKET"] = listener.path
        let daemon = try ServiceProcess(
            directory: dir,
            arguments: ["--socket", dir + "/sock", "--db", dir + "/db.sqlite", "--status-interval-ms", "200"],
            environment: env)
        return (daemon, listener)
    }

    @Test func readyOnceServedThenStatusThenStopping() throws {
        let dir = try ServiceProcess.makeDirectory()
        let (daemon, notify) = try Self.start(dir)
        let untilReady = try #require(notify.waitFor("READY=1", timeout: 30), "log: \(daemon.log())")
        // At the moment READY=1 arrives, the socket answers (no retry, no wait).
        let client = try LineClient(path: dir + "/sock")
        #expect(try client.result("ping")["version"] != nil)
        #expect(untilReady.count == 1, "READY=1 is the first message: \(untilReady.map(\.text))")
        #expect(untilReady[0].fields.contains { $0.hasPrefix("STATUS=serving: ") })

        _ = try client.result("startRun", ["jobName": "status"])
        let statuses = notify.collect(for: 1.0).flatMap(\.fields).filter { $0.hasPrefix("STATUS=") }
        #expect(statuses.count >= 2, "a STATUS= line every 200 ms: \(statuses)")
        #expect(statuses.last?.contains("1 connections, 1 runs running") == true, "\(statuses)")
        #expect(statuses.allSatisfy { $0.contains("commits/s") })

        kill(daemon.pid, SIGTERM)
        let stopping = notify.waitFor("STOPPING=1", timeout: 10)
        #expect(stopping != nil, "STOPPING=1 after SIGTERM: \(daemon.log())")
        client.close()
        #expect(daemon.waitForExit(timeout: 40) == 0)
    }

    @Test func watchdogPingsComeFromTheWriterAndStopWhenItIsStuck() throws {
        let dir = try ServiceProcess.makeDirectory()
        let (daemon, notify) = try Self.start(dir, environment: ["WATCHDOG_USEC": "2000000"])
        #expect(notify.waitFor("READY=1", timeout: 30) != nil, "log: \(daemon.log())")

        // Idle: WATCHDOG=1 at least every second (half of WATCHDOG_USEC).
        let idle = notify.collect(for: 3.0).filter { $0.fields.contains("WATCHDOG=1") }.map(\.at)
        #expect(idle.count >= 3, "pings while idle: \(idle.count)")
        let gaps = zip(idle.dropFirst(), idle).map { $0.timeIntervalSince($1) }
        #expect((gaps.max() ?? 9) < 1.0, "largest gap between pings: \(gaps.max() ?? -1) s")

        // The test takes the database's write lock; the writer blocks on its next transaction.
        let lock = try WriteLock(path: dir + "/db.sqlite")
        let job = try LineClient(path: dir + "/sock")
        try job.send(#"{"jsonrpc":"2.0","method":"startRun","params":{"jobName":"stuck"},"id":7}"#)
        _ = notify.collect(for: 0.5)  // a ping already on its way may still arrive
        let whileStuck = notify.collect(for: 3.0).filter { $0.fields.contains("WATCHDOG=1") }
        #expect(whileStuck.isEmpty, "no pings while the writer is stuck: \(whileStuck.count)")

        // Released: the write commits, the pings resume.
        try lock.release()
        let answer = try #require(try job.readLine())
        #expect(answer.contains(#""jobRunId""#), "the stuck write was committed: \(answer)")
        #expect(notify.waitFor("WATCHDOG=1", timeout: 2) != nil, "pings resumed")
        job.close()
        #expect(daemon.terminate() == 0)
    }

    @Test func withoutServiceManagerVariablesItRunsAsBefore() throws {
        let dir = try ServiceProcess.makeDirectory()
        let sock = dir + "/sock"
        let daemon = try ServiceProcess(
            directory: dir, arguments: ["--socket", sock, "--db", dir + "/db.sqlite"],
            // LISTEN_PID names another process: these variables were not meant for the daemon.
            environment: ["WATCHDOG_USEC": "2000000", "LISTEN_FDS": "1", "LISTEN_PID": "1"])
        #expect(eventually { (try? LineClient(path: sock).result("ping")) != nil }, "log: \(daemon.log())")
        #expect(SocketActivationTests.identity(sock)?.mode == 0o600, "its own socket, chmod-ed as always")
        #expect(daemon.terminate() == 0)
        #expect(SocketActivationTests.identity(sock) == nil, "its own socket is removed at exit")
    }

    @Test func aStatusIntervalBelow100msIsAUsageError() throws {
        let dir = try ServiceProcess.makeDirectory()
        let daemon = try ServiceProcess(
            directory: dir, arguments: ["--socket", dir + "/sock", "--status-interval-ms", "50"], environment: [:])
        #expect(daemon.waitForExit(timeout: 20) == 64)
        #expect(daemon.log().contains("--status-interval-ms must be between 100 and"))
    }
}
