import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 10 points 4 and 11: owners that exist, and a reaper whose cost follows the owners, not the runs.
@Suite struct OwnerClaimTests {
    @Test(arguments: [4_000_000, 2_147_483_647])
    func aPidThatDoesNotExistIsRefused(pid: Int) throws {
        let daemon = try TestDaemon()
        let answer = try daemon.connect().call("startRun", ["jobName": "ghost", "pid": pid])
        #expect(Hardening.code(answer) == -32602, "\(answer)")
        #expect(Hardening.reason(answer).contains("no such process"), "\(answer)")
    }

    @Test func theExitedProcessOfAnEarlierJobIsRefused() throws {
        let daemon = try TestDaemon()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        let answer = try daemon.connect().call("startRun", ["jobName": "late", "pid": Int(p.processIdentifier)])
        #expect(Hardening.code(answer) == -32602, "\(answer)")
    }

    @Test func rootMayNameAnyLiveProcess() throws {
        let daemon = try TestDaemon()
        let answer = try daemon.connect().call("startRun", ["jobName": "by-root", "pid": 1])
        if geteuid() == 0 {
            #expect(answer["result"] != nil, "\(answer)")
        } else {
            #expect(Hardening.code(answer) == -32003, "\(answer)")
        }
    }

    @Test(.enabled(if: Hardening.canSwitchUser, "needs root and setpriv to connect as another uid"))
    func anotherUidMayNotNameSomeoneElsesProcess() throws {
        let daemon = try TestDaemon(arguments: ["--socket-mode", "666"])
        chmod(daemon.directory, 0o755)
        let script = """
            import json, socket, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
            for i, pid in enumerate([1, int(sys.argv[2])]):
                f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": "startRun",
                                    "params": {"jobName": "claim", "pid": pid}}).encode() + b"\\n"); f.flush()
                print(json.loads(f.readline()).get("error", {}).get("code"))
            """
        let out = Hardening.pythonAsOtherUser(script, [daemon.socketPath, "\(daemon.pid)"])
        #expect(out.status == 0, "\(out.output)")
        #expect(out.output.split(separator: "\n") == ["-32003", "-32003"], "pid 1 and the daemon's own: \(out.output)")
    }

    @Test func runsOfAnOwnerThatExitsAreAbandonedTogether() throws {
        let daemon = try TestDaemon(arguments: ["--liveness-interval-ms", "100"])
        let owner = Process()
        owner.executableURL = URL(fileURLWithPath: "/bin/sleep")
        owner.arguments = ["60"]
        try owner.run()
        let client = try daemon.connect()
        let count = 2000
        for chunk in stride(from: 0, to: count, by: 100) {
            for i in chunk..<chunk + 100 {
                try client.send(
                    #"{"jsonrpc":"2.0","id":\#(i),"method":"startRun","params":{"jobName":"many","pid":\#(owner.processIdentifier)}}"#
                )
            }
            for _ in 0..<100 { _ = try client.readLine() }
        }
        let running = try client.result("listRuns", ["jobName": "many", "status": "RUNNING", "limit": 1000])
        #expect((running["runs"] as? [Any])?.count == 1000, "still running while the owner lives")
        kill(owner.processIdentifier, SIGKILL)
        owner.waitUntilExit()
        let done = try Hardening.eventually(60) {
            let left = try client.result("listRuns", ["jobName": "many", "status": "RUNNING", "limit": 1])
            return (left["runs"] as? [Any])?.isEmpty == true
        }
        #expect(done, "every run of the exited owner is abandoned")
        var abandoned = 0
        var before: String?
        while true {
            var params: [String: Any] = ["jobName": "many", "status": "ABANDONED", "limit": 1000]
            if let before { params["beforeId"] = before }
            let page = try client.result("listRuns", params)["runs"] as? [[String: Any]] ?? []
            if page.isEmpty { break }
            abandoned += page.count
            before = page.last?["id"] as? String
        }
        #expect(abandoned == count)
    }
}
