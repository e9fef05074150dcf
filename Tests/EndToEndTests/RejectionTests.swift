import Foundation
import JobLogTestSupport
import Testing

/// Mistakes never vanish (issue 19 #2): a refused notification is counted on its run,
/// reported to the connection's next `ping {"rejected": true}` and logged at warning level.
@Suite struct RejectionTests {
    func run(_ client: LineClient, _ id: String) throws -> [String: Any] {
        try #require(try client.result("getRun", ["jobRunId": id])["run"] as? [String: Any])
    }

    @Test func refusedNotificationsAreCountedOnTheRunAndReportedToPing() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        let id = try #require(try c.result("startRun", ["jobName": "rejections"])["jobRunId"] as? String)
        var fresh = try run(c, id)
        #expect(fresh["rejectedCount"] as? Int == 0)
        #expect(fresh["lastRejection"] is NSNull)

        // Refused while routing: a value of the wrong type, an unknown method naming the run.
        try c.notify("setTotal", ["jobRunId": id, "total": "10"])
        try c.notify("frobnicate", ["jobRunId": id])
        let ping = try c.result("ping", ["rejected": true])
        #expect(ping["rejected"] as? Int == 2)
        #expect(ping["lastRejection"] as? String == "frobnicate: method not found")
        let again = try c.result("ping", ["rejected": true])
        #expect(again["rejected"] as? Int == 0, "the count restarts after each report")
        #expect(again["lastRejection"] is NSNull)
        let plain = try c.result("ping")
        #expect(plain["rejected"] == nil, "a plain ping is unchanged")

        // Refused by the writer: a finished run.
        _ = try c.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
        try c.notify("info", ["jobRunId": id, "message": "too late"])
        let afterFinish = try c.result("ping", ["rejected": true])
        #expect(afterFinish["rejected"] as? Int == 1)
        #expect(afterFinish["lastRejection"] as? String == "info: run already finished (SUCCESS)")

        fresh = try run(c, id)
        #expect(fresh["rejectedCount"] as? Int == 3)
        #expect(fresh["lastRejection"] as? String == "info: run already finished (SUCCESS)")

        // An unknown run counts for the connection only.
        try c.notify("info", ["jobRunId": "999999", "message": "nowhere"])
        #expect(try c.result("ping", ["rejected": true])["lastRejection"] as? String == "info: unknown run")

        // `rejected` must be a boolean.
        let bad = try c.call("ping", ["rejected": "yes"])
        #expect((bad["error"] as? [String: Any])?["code"] as? Int == -32602)
    }

    @Test func eachDistinctReasonIsLoggedAtWarningOnceAMinute() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        let id = try #require(try c.result("startRun", ["jobName": "noisy"])["jobRunId"] as? String)
        for _ in 0..<500 { try c.notify("setTotal", ["jobRunId": id, "total": -1]) }
        for _ in 0..<500 { try c.notify("setProgress", ["jobRunId": id, "current": "x"]) }
        #expect(try c.result("ping", ["rejected": true])["rejected"] as? Int == 1000)
        let log = daemon.daemonLog().split(separator: "\n").filter { $0.contains("notification rejected") }
        #expect(log.count == 2, "\(log)")
        #expect(log.allSatisfy { $0.contains("warning") })
        #expect(log.contains { $0.contains("setTotal: invalid params (total: out of range)") })
        #expect(log.contains { $0.contains("setProgress: invalid params (current: must be an integer)") })
    }

    @Test func inventedMethodNamesDoNotGrowTheLogStateWithoutBound() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        for i in 0..<2000 { try c.notify("m\(i)", [:]) }
        #expect(try c.result("ping", ["rejected": true])["rejected"] as? Int == 2000)
        #expect(try c.result("ping")["protocolVersion"] as? Int == 2)
    }

    @Test func entriesKeepTheJobsTimeWithin24Hours() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        let id = try #require(try c.result("startRun", ["jobName": "at"])["jobRunId"] as? String)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let hourAgo = now - 3_600_000
        try c.notify("info", ["jobRunId": id, "message": "an hour ago", "at": hourAgo])
        try c.notify("setStage", ["jobRunId": id, "stage": "S", "at": hourAgo + 1])
        try c.notify("info", ["jobRunId": id, "message": "two days ago", "at": now - 48 * 3_600_000])
        try c.notify("info", ["jobRunId": id, "message": "far future", "at": Int64.max])
        let bad = try c.call("info", ["jobRunId": id, "message": "m", "at": "yesterday"])
        #expect((bad["error"] as? [String: Any])?["code"] as? Int == -32602)
        let logs = try #require(try c.result("getLogs", ["jobRunId": id, "afterId": 0])["logs"] as? [[String: Any]])
        let times = Dictionary(
            uniqueKeysWithValues: logs.map { ($0["message"] as? String ?? "", $0["createdAt"] as? String ?? "") })
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func ms(_ s: String?) -> Int64 { Int64((iso.date(from: s ?? "")?.timeIntervalSince1970 ?? 0) * 1000) }
        #expect(ms(times["an hour ago"]) == hourAgo)
        #expect(ms(times["Stage: S"]) == hourAgo + 1)
        #expect(abs(ms(times["two days ago"]) - now) < 60_000, "outside ±24 h: the daemon's own time")
        #expect(abs(ms(times["far future"]) - now) < 60_000)
        let ids = logs.compactMap { Int($0["id"] as? String ?? "") }
        #expect(ids == ids.sorted(), "ordering stays by id")
    }
}
