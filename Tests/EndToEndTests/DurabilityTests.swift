import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What is acknowledged survives `kill -9`; SIGTERM loses nothing that was read.
@Suite struct DurabilityTests {
    @Test func acknowledgedWritesSurviveKill9() throws {
        let daemon = try TestDaemon()
        var expectedLogs = 0
        var expectedProgress = 0
        var runIDs: [String] = []
        for round in 0..<3 {
            let client = try daemon.connect()
            let run = try client.result("startRun", ["jobName": "durable", "params": ["round": round]])
            let id = run["jobRunId"] as! String
            runIDs.append(id)
            for i in 0..<500 {
                try client.notify("info", ["jobRunId": id, "message": "entry \(i)", "context": ["i": i]])
                try client.notify("incrementProgress", ["jobRunId": id])
            }
            try client.notify("addOutcome", ["jobRunId": id, "key": "done", "count": 500])
            // The acknowledgement covers everything before it on this connection.
            _ = try client.result("ping")
            expectedLogs = 500
            expectedProgress = 500
            // Unacknowledged writes after it may or may not be there; never half of one.
            for i in 0..<100 { try client.notify("warning", ["jobRunId": id, "message": "maybe \(i)"]) }
            daemon.kill9()
            try daemon.start()
            let check = try daemon.connect()
            let stored = try check.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
            let counts = stored["logCounts"] as! [String: Int]
            #expect(counts["info"] == expectedLogs, "round \(round)")
            #expect(stored["progressCurrent"] as? Int == expectedProgress)
            #expect((stored["outcomeSummary"] as? [String: Int])?["done"] == 500)
            #expect((0...100).contains(counts["warning"] ?? -1))
            // The log rows agree with the counters.
            let logs =
                try check.result("getLogs", ["jobRunId": id, "afterId": 0, "limit": 10000])["logs"] as! [[String: Any]]
            #expect(logs.filter { $0["level"] as? String == "info" }.count == expectedLogs)
            #expect(logs.count == (counts["info"] ?? 0) + (counts["warning"] ?? 0))
        }
        // Every earlier round is still intact after later crashes.
        let check = try daemon.connect()
        for id in runIDs {
            let run = try check.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
            #expect(run["progressCurrent"] as? Int == 500)
        }
    }

    @Test func sigtermLosesNothingThatWasRead() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        let id = try client.result("startRun", ["jobName": "graceful"])["jobRunId"] as! String
        for i in 0..<1000 { try client.notify("info", ["jobRunId": id, "message": "\(i)"]) }
        _ = try client.result("ping")
        // Keep streaming while the signal arrives.
        let writer = Thread {
            for i in 1000..<200_000 {
                do { try client.notify("info", ["jobRunId": id, "message": "\(i)"]) } catch { return }
            }
        }
        writer.start()
        usleep(100_000)
        #expect(daemon.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "the socket file is removed")
        try daemon.start()
        let check = try daemon.connect()
        var messages: [Int] = []
        var after = 0
        while true {
            let logs =
                try check.result("getLogs", ["jobRunId": id, "afterId": after, "limit": 10000])["logs"]
                as! [[String: Any]]
            if logs.isEmpty { break }
            messages += logs.compactMap { Int($0["message"] as? String ?? "") }
            after = Int(logs.last!["id"] as! String)!
        }
        // Everything read is stored: a gap-free prefix of what was sent, at least the acknowledged part.
        #expect(messages.count >= 1000)
        #expect(messages == Array(0..<messages.count))
        let log = daemon.daemonLog()
        #expect(log.contains("store closed"))
    }

    @Test func refusesASecondDaemonAndReplacesAStaleSocket() throws {
        let daemon = try TestDaemon()
        let second = Process()
        second.executableURL = URL(fileURLWithPath: TestDaemon.binary)
        second.arguments = ["--socket", daemon.socketPath, "--db", daemon.directory + "/other.sqlite", "--http", "off"]
        let pipe = Pipe()
        second.standardError = pipe
        try second.run()
        second.waitUntilExit()
        #expect(second.terminationStatus != 0)
        let message = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("already serving"))
        // The first one still answers.
        #expect(try daemon.connect().result("ping")["protocolVersion"] as? Int == 1)
        // After kill -9 the socket file is stale: a new daemon replaces it.
        daemon.kill9()
        #expect(FileManager.default.fileExists(atPath: daemon.socketPath))
        try daemon.start()
        #expect(try daemon.connect().result("ping")["protocolVersion"] as? Int == 1)
        // The socket is 0600.
        var st = stat()
        stat(daemon.socketPath, &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }
}
