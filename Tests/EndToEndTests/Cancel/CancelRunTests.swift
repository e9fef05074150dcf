import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 15: `cancelRun` over the socket, delivery to the job, escalation, permissions.
@Suite struct CancelRunTests {
    /// The lines of a run's log.
    static func logs(_ client: LineClient, _ run: String) throws -> [[String: Any]] {
        try client.result("getLogs", ["jobRunId": run, "limit": 1000])["logs"] as? [[String: Any]] ?? []
    }

    static func run(_ client: LineClient, _ id: String) throws -> [String: Any] {
        try client.result("getRun", ["jobRunId": id])["run"] as? [String: Any] ?? [:]
    }

    /// Reads lines until one whose `method` is `method` (at most 200 lines).
    static func next(_ client: LineClient, method: String) throws -> [String: Any]? {
        for _ in 0..<200 {
            guard let line = try client.readLine() else { return nil }
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            if o["method"] as? String == method { return o }
        }
        return nil
    }

    @Test func theJobIsToldAndTheRunEndsCancelledWithItsStopTime() throws {
        let daemon = try TestDaemon()
        let job = try daemon.connect()
        let admin = try daemon.connect()
        let started = try job.result("startRun", ["jobName": "loop", "acceptsCancel": true])
        let id = try #require(started["jobRunId"] as? String)
        #expect(try Self.run(admin, id)["cancelRequestedAt"] is NSNull, "null on runs never asked")

        let answer = try admin.result("cancelRun", ["jobRunId": id, "reason": "maintenance", "graceMs": 60_000])
        let asked = try #require(answer["run"] as? [String: Any])
        #expect(asked["cancelRequestedAt"] is String, "\(asked)")
        #expect(asked["status"] as? String == "RUNNING")

        let notice = try #require(try Self.next(job, method: "cancel"))
        let params = try #require(notice["params"] as? [String: Any])
        #expect(params["jobRunId"] as? String == id)
        #expect(params["reason"] as? String == "maintenance")
        #expect(params["graceMs"] as? Int == 60_000)

        let warning = try Self.logs(admin, id).first { ($0["message"] as? String) == "Cancel requested: maintenance" }
        let context = try #require(warning?["context"] as? [String: Any])
        #expect(warning?["level"] as? String == "warning")
        #expect(context["by"] as? Int == Int(getuid()))

        usleep(50_000)
        _ = try job.result("finishRun", ["jobRunId": id, "status": "CANCELLED"])
        let ended = try Self.run(admin, id)
        #expect(ended["status"] as? String == "CANCELLED")
        #expect((ended["error"] as? [String: Any])?["message"] as? String == "Cancelled: maintenance")
        let stop = try Self.logs(admin, id).compactMap { ($0["context"] as? [String: Any])?["stopMs"] as? Int }
        #expect(stop.count == 1 && stop[0] >= 50, "context.stopMs: \(stop)")

        let again = try admin.call("cancelRun", ["jobRunId": id])
        #expect(Hardening.code(again) == -32002, "a finished run: \(again)")
    }

    @Test func aWatchSubscriberSeesTheCancelEvent() throws {
        let daemon = try TestDaemon()
        let job = try daemon.connect()
        let watcher = try daemon.connect()
        let id = try #require(try job.result("startRun", ["jobName": "watched"])["jobRunId"] as? String)
        _ = try watcher.result("watch", ["jobRunId": id, "level": "error"])
        _ = try job.result("cancelRun", ["jobRunId": id, "reason": "why not"])
        let event = try #require(try Self.next(watcher, method: "event"))
        let params = event["params"] as? [String: Any] ?? [:]
        #expect(params["type"] as? String == "cancel", "\(event)")
        #expect(params["reason"] as? String == "why not")
        _ = try job.result("finishRun", ["jobRunId": id, "status": "CANCELLED"])
    }

    @Test func paramsOutOfRangeAreRefused() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        let id = try #require(try c.result("startRun", ["jobName": "limits"])["jobRunId"] as? String)
        let long = try c.call("cancelRun", ["jobRunId": id, "reason": String(repeating: "x", count: 1025)])
        #expect(Hardening.code(long) == -32602, "reason over 1 KiB: \(long)")
        let grace = try c.call("cancelRun", ["jobRunId": id, "graceMs": 86_400_001])
        #expect(Hardening.code(grace) == -32602, "graceMs over a day: \(grace)")
        let unknown = try c.call("cancelRun", ["jobRunId": "999999"])
        #expect(Hardening.code(unknown) == -32001, "\(unknown)")
    }

    @Test func aJobThatIgnoresTheRequestGetsSIGTERMThenSIGKILLAndEndsCancelled() throws {
        let daemon = try TestDaemon(arguments: ["--liveness-interval-ms", "100"])
        let stubborn = Process()
        stubborn.executableURL = URL(fileURLWithPath: "/bin/sh")
        stubborn.arguments = ["-c", "trap '' TERM; while :; do sleep 0.05; done"]
        try stubborn.run()
        defer { if stubborn.isRunning { kill(stubborn.processIdentifier, SIGKILL) } }
        usleep(100_000)
        let c = try daemon.connect()
        let started = try c.result("startRun", ["jobName": "stubborn", "pid": Int(stubborn.processIdentifier)])
        let id = try #require(started["jobRunId"] as? String)
        _ = try c.result("cancelRun", ["jobRunId": id, "reason": "stuck", "graceMs": 300])
        #expect(Hardening.eventually(30) { !stubborn.isRunning }, "SIGTERM is ignored: SIGKILL ends it")
        let ended = try Hardening.eventually(30) { try Self.run(c, id)["status"] as? String != "RUNNING" }
        #expect(ended)
        #expect(stubborn.terminationReason == .uncaughtSignal && stubborn.terminationStatus == SIGKILL)
        let run = try Self.run(c, id)
        #expect(run["status"] as? String == "CANCELLED", "not ABANDONED: \(run)")
        let messages = try Self.logs(c, id).compactMap { $0["message"] as? String }
        #expect(messages.contains { $0.hasPrefix("Cancel: sent SIGTERM to process \(stubborn.processIdentifier)") })
        #expect(messages.contains { $0.hasPrefix("Cancel: sent SIGKILL to process \(stubborn.processIdentifier)") })
        #expect(messages.contains { $0.hasPrefix("Run cancelled: stuck") }, "\(messages)")
    }

    @Test func aJobThatStopsOnSIGTERMIsNotKilled() throws {
        let daemon = try TestDaemon(arguments: ["--liveness-interval-ms", "100"])
        let polite = Process()
        // Its own SIGTERM handler, unblocked (the test runner's threads may block SIGTERM, and a child inherits that).
        polite.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        polite.arguments = [
            "-c",
            "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(7)); signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM}); print('ready', flush=True); time.sleep(60)",
        ]
        let ready = Pipe()
        polite.standardOutput = ready
        try polite.run()
        _ = ready.fileHandleForReading.availableData  // its handler is installed
        defer { if polite.isRunning { kill(polite.processIdentifier, SIGKILL) } }
        let c = try daemon.connect()
        let started = try c.result("startRun", ["jobName": "polite", "pid": Int(polite.processIdentifier)])
        let id = try #require(started["jobRunId"] as? String)
        _ = try c.result("cancelRun", ["jobRunId": id, "reason": "done", "graceMs": 500])
        #expect(Hardening.eventually(30) { !polite.isRunning })
        #expect(polite.terminationReason == .exit && polite.terminationStatus == 7, "it got SIGTERM, and no SIGKILL")
        #expect(try Hardening.eventually(30) { try Self.run(c, id)["status"] as? String == "CANCELLED" })
        usleep(700_000)
        let messages = try Self.logs(c, id).compactMap { $0["message"] as? String }
        #expect(!messages.contains { $0.contains("SIGKILL") }, "\(messages)")
    }

    /// A Python client as `uid`/`gid` that asks to cancel run `argv[2]`; prints the error code or "ok".
    static let cancelScript = """
        import json, socket, sys
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
        f.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "cancelRun",
                            "params": {"jobRunId": sys.argv[2], "reason": "by another user"}}).encode() + b"\\n")
        f.flush()
        answer = json.loads(f.readline())
        print(answer["error"]["code"] if "error" in answer else "ok")
        """

    static func cancelAs(uid: UInt32, gid: UInt32, _ daemon: TestDaemon, run: String) -> (
        status: Int32, output: String
    ) {
        Reliability.run([
            "setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "/usr/bin/python3", "-c", cancelScript,
            daemon.socketPath, run,
        ])
    }

    @Test(.enabled(if: Hardening.canSwitchUser, "needs root and setpriv to connect as another uid"))
    func anotherUidMayNotCancelButAnAdminGroupMemberMay() throws {
        let daemon = try TestDaemon(arguments: ["--socket-mode", "666", "--admin-group", "4242"])
        chmod(daemon.directory, 0o755)
        let c = try daemon.connect()
        let id = try #require(try c.result("startRun", ["jobName": "root's"])["jobRunId"] as? String)
        let other = Self.cancelAs(uid: Hardening.otherUid, gid: Hardening.otherUid, daemon, run: id)
        #expect(other.output.trimmingCharacters(in: .whitespacesAndNewlines) == "-32003", "\(other.output)")
        #expect(try Self.run(c, id)["cancelRequestedAt"] is NSNull)
        let admin = Self.cancelAs(uid: Hardening.otherUid, gid: 4242, daemon, run: id)
        #expect(admin.output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(admin.output)")
        #expect(try Self.run(c, id)["cancelRequestedAt"] is String)
        _ = try c.result("finishRun", ["jobRunId": id, "status": "CANCELLED"])

        let own = """
            import json, socket, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
            def call(i, method, params):
                f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}).encode() + b"\\n")
                f.flush()
                return json.loads(f.readline())
            run = call(1, "startRun", {"jobName": "mine"})["result"]["jobRunId"]
            answer = call(2, "cancelRun", {"jobRunId": run, "graceMs": 600000})
            call(3, "finishRun", {"jobRunId": run, "status": "CANCELLED"})
            print(answer["error"]["code"] if "error" in answer else "ok")
            """
        let mine = Hardening.pythonAsOtherUser(own, [daemon.socketPath])
        #expect(mine.output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "its own run: \(mine.output)")
    }
}
