import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `searchLogs` (issue 19 #7): entries across runs, against the built daemon, on a store
/// large enough that a sort of every match or a scan of the table would show.
@Suite(.serialized) struct SearchLogsTests {
    static let sqlite3Installed = FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")

    /// Runs `sql` on the database with the sqlite3 shell (the daemon stopped).
    static func sqlite(_ path: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data(sql.utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("sqlite3 failed: \(sql.prefix(200))") }
    }

    static let rows = 1_000_000
    static let runs = 1000
    /// Entry i (1-based) belongs to run (i % runs) + 1, of job `job-(run % 10)`; every 1000th
    /// entry is an error, every 100th (otherwise) a warning; one entry per millisecond.
    static let start: Int64 = 1_700_000_000_000

    /// A daemon on a store of `rows` entries, written by sqlite3 while the daemon was stopped.
    static func bigStore() throws -> TestDaemon {
        let daemon = try TestDaemon()
        _ = daemon.terminate()
        try sqlite(
            daemon.databasePath,
            """
            PRAGMA journal_mode=WAL;
            BEGIN;
            WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < \(runs))
            INSERT INTO runs (id, job_name, status, trigger, scope, started_at, finished_at, last_heartbeat_at)
            SELECT n, 'job-' || (n % 10), 'SUCCESS', 'MANUAL', 'system', \(start), \(start + Int64(rows)), \(start) FROM r;
            WITH RECURSIVE l(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM l WHERE i < \(rows))
            INSERT INTO logs (id, run_id, level, stage, message, context, created_at)
            SELECT i, (i % \(runs)) + 1,
                CASE WHEN i % 1000 = 0 THEN 4 WHEN i % 100 = 0 THEN 3 ELSE 1 END,
                NULL, 'entry ' || i, CASE WHEN i % 250000 = 0 THEN '{"needle":true}' ELSE '{}' END,
                \(start) + i FROM l;
            COMMIT;
            """)
        try daemon.start()
        return daemon
    }

    /// The ids of a `searchLogs` result.
    static func ids(_ client: LineClient, _ params: [String: Any]) throws -> [Int] {
        let logs = try client.result("searchLogs", params)["logs"] as? [[String: Any]] ?? []
        return logs.compactMap { ($0["id"] as? String).flatMap { Int($0) } }
    }

    @Test(
        .enabled(if: sqlite3Installed, "sqlite3 is not installed: the big-store search test is skipped"),
        .enabled(if: !TestDaemon.onPostgres, "\(TestDaemon.sqliteOnlyReason)"))
    func answersFromIndexesOnABigStore() throws {
        let daemon = try Self.bigStore()
        let client = try daemon.connect()
        let n = Self.rows
        // The newest entries, oldest first.
        #expect(try Self.ids(client, ["limit": 3]) == [n - 2, n - 1, n])
        // Errors: every 1000th entry.
        #expect(try Self.ids(client, ["level": "error", "limit": 3]) == [n - 2000, n - 1000, n])
        // Warnings and errors: every 100th.
        #expect(try Self.ids(client, ["level": "warning", "limit": 2]) == [n - 100, n])
        // One job: runs r with r % 10 == 3, i.e. entries i with (i % 1000 + 1) % 10 == 3: i % 10 == 2.
        #expect(try Self.ids(client, ["jobName": "job-3", "limit": 3]) == [n - 28, n - 18, n - 8])
        // One job's errors: entries i % 1000 == 0 belong to run 1 (job-1).
        #expect(try Self.ids(client, ["jobName": "job-1", "level": "error", "limit": 2]) == [n - 1000, n])
        #expect(try Self.ids(client, ["jobName": "job-3", "level": "error"]).isEmpty)
        // A time window: entries created in [start + 500000, start + 500003).
        #expect(
            try Self.ids(client, ["since": Self.start + 500_000, "until": Self.start + 500_003])
                == [500_000, 500_001, 500_002])
        // Paging forward.
        #expect(try Self.ids(client, ["afterId": 10, "limit": 2]) == [11, 12])
        #expect(try Self.ids(client, ["afterId": 0, "level": "error", "limit": 2]) == [1000, 2000])
        // Text (a walk over the others' matches).
        #expect(try Self.ids(client, ["text": "needle", "level": "error"]) == [250_000, 500_000, 750_000, 1_000_000])
        let one = try client.result("searchLogs", ["jobRunId": 5, "limit": 1])["logs"] as? [[String: Any]]
        #expect(one?.first?["jobRunId"] as? String == "5")
        #expect(one?.first?["jobName"] as? String == "job-5")
    }

    @Test func unknownRunAndBadParams() throws {
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        let unknown = try client.call("searchLogs", ["jobRunId": 42])
        #expect((unknown["error"] as? [String: Any])?["code"] as? Int == -32001)
        for bad: [String: Any] in [["limit": 0], ["limit": 10001], ["since": "1h"], ["text": ""], ["level": "loud"]] {
            let answer = try client.call("searchLogs", bad)
            #expect((answer["error"] as? [String: Any])?["code"] as? Int == -32602, "\(bad): \(answer)")
        }
    }
}
