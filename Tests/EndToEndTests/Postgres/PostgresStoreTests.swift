import Foundation
import JobLogTestSupport
import Testing

/// `joblogd --store postgres://…`: the built daemon on a real PostgreSQL server, a job through
/// the socket, and a second daemon on the same database reading what the first wrote.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct PostgresStoreTests {
    /// A run's answer as JSON with sorted keys, without the figures that depend on when it is read.
    static func stable(_ run: [String: Any]) throws -> String {
        let kept = run.filter { !["ratePerSecond", "etaSeconds", "elapsedMs", "durationMs"].contains($0.key) }
        return String(decoding: try JSONSerialization.data(withJSONObject: kept, options: .sortedKeys), as: UTF8.self)
    }

    @Test func aJobOnOneDaemonIsReadThroughAnother() throws {
        let url = try PostgresCluster.makeDatabase()
        let a = try TestDaemon(arguments: ["--store", url])
        let job = try a.connect()
        let id =
            try job.result("startRun", ["jobName": "fleet-etl", "params": ["z": 1, "a": 2]])["jobRunId"] as! String
        try job.notify("setTotal", ["jobRunId": id, "total": 5, "unit": "files"])
        try job.notify("setStage", ["jobRunId": id, "stage": "load"])
        for i in 1...5 {
            try job.notify("incrementProgress", ["jobRunId": id])
            try job.notify("info", ["jobRunId": id, "message": "file \(i)", "context": ["n": i, "b": true]])
        }
        try job.notify("addOutcome", ["jobRunId": id, "key": "loaded", "count": 5])
        try job.notify("warning", ["jobRunId": id, "message": "one was slow"])
        let progress = try job.result("getProgress", ["jobRunId": id])["progress"] as! [String: Any]
        #expect(progress["progressCurrent"] as? Int == 5)
        _ = try job.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])

        // A second daemon: its own socket and lock file, the same database.
        let b = try TestDaemon(arguments: ["--store", url])
        let reader = try b.connect()
        let run = try reader.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        #expect(run["status"] as? String == "SUCCESS")
        #expect(run["progressCurrent"] as? Int == 5 && run["progressTotal"] as? Int == 5)
        #expect(run["jobName"] as? String == "fleet-etl")
        let local = try a.connect().result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        #expect(try Self.stable(run) == Self.stable(local))

        let logs = try reader.result("getLogs", ["jobRunId": id, "limit": 100])["logs"] as! [[String: Any]]
        let messages = logs.compactMap { $0["message"] as? String }
        #expect(messages.filter { $0.hasPrefix("file ") } == (1...5).map { "file \($0)" })
        #expect(messages.contains("one was slow"))
        let ids = logs.compactMap { ($0["id"] as? String).flatMap { Int64($0) } }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        // Paging across the daemon boundary: the 2 entries after the first one.
        let page =
            try reader.result("getLogs", ["jobRunId": id, "afterId": "\(ids[0])", "limit": 2])["logs"]
            as! [[String: Any]]
        #expect(page.compactMap { $0["id"] as? String } == ids[1...2].map { "\($0)" })

        let listed = try reader.result("listRuns", ["jobName": "fleet-etl"])["runs"] as! [[String: Any]]
        #expect(listed.count == 1 && listed.first?["id"] as? String == id)
        let stages = try reader.result("getStages", ["jobRunId": id])
        #expect("\(stages)".contains("load"))

        // A run started through b continues the same id sequence.
        let second = try reader.result("startRun", ["jobName": "fleet-etl"])["jobRunId"] as! String
        #expect(Int64(second)! > Int64(id)!)
        #expect(a.terminate() == 0)
        #expect(b.terminate() == 0)
    }

    /// Thousands of entries in few transactions: ids from blocks of the sequence, rows in
    /// multi-row INSERTs; every entry stored once, in order, counted, paged as on SQLite.
    @Test func aBurstOfEntriesIsStoredOnceInOrder() throws {
        let url = try PostgresCluster.makeDatabase()
        let daemon = try TestDaemon(arguments: ["--store", url])
        let job = try daemon.connect()
        let id = try job.result("startRun", ["jobName": "burst"])["jobRunId"] as! String
        let count = 3000
        var lines = ""
        for i in 1...count {
            lines += #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"\#(id)","message":"m\#(i)"}}"# + "\n"
        }
        try job.sendBytes(Array(lines.utf8))
        let run = try job.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
        #expect((run["logCounts"] as? [String: Int])?["info"] == count)
        var seen: [String] = []
        var after = "0"  // from the start (without afterId a page is the newest entries)
        while true {
            let page =
                try job.result("getLogs", ["jobRunId": id, "limit": 1000, "afterId": after])["logs"] as! [[String: Any]]
            if page.isEmpty { break }
            seen += page.compactMap { $0["message"] as? String }
            after = page.last?["id"] as? String ?? after
        }
        #expect(seen == (1...count).map { "m\($0)" })
        let newest = try job.result("getLogs", ["jobRunId": id, "limit": 3])["logs"] as! [[String: Any]]
        #expect(newest.compactMap { $0["message"] as? String } == ["m2998", "m2999", "m3000"])
    }

    @Test func anUnreachableDatabaseStopsTheDaemonWithExitCode2() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/joblogd-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestDaemon.binary)
        let port = try PostgresCluster.freePort()
        p.arguments = [
            "--socket", directory + "/sock", "--db", directory + "/db", "--http", "off",
            "--store", "postgres://joblog@127.0.0.1:\(port)/nothing",
        ]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 2)
    }

    @Test func aBadStoreURLIsRefusedAtStart() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestDaemon.binary)
        p.arguments = ["--http", "off", "--store", "postgres://127.0.0.1/db?sslmode=sometimes"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 64)
    }
}
