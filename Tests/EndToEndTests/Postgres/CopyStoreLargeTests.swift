import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `sqlite3` command that fills the large store.
private let sqlite3Path: String? = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// `joblogd copy-store` of a large store: stopped once at a batch boundary, killed once mid-batch,
/// resumed; counts and a sample of rows equal on both sides. 1,000,000 rows (about 6 s to make and
/// 10 s to copy three times with a debug build on 2 cores); `JOBLOG_TEST_COPY_ROWS` sets another size.
@Suite(
    .enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"),
    .enabled(if: sqlite3Path != nil, "no sqlite3 command"))
struct CopyStoreLargeTests {
    static let rows: Int = {
        let text = ProcessInfo.processInfo.environment["JOBLOG_TEST_COPY_ROWS"] ?? ""
        return Int(text).map { max($0, 10_000) } ?? 1_000_000
    }()

    /// `sqlite3 <database> <sql>`: its output, trimmed.
    static func sqlite(_ database: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: sqlite3Path!)
        p.arguments = [database, sql]
        let output = Pipe()
        p.standardOutput = output
        try p.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("sqlite3 failed: \(sql)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A store made by the daemon (its schema, one real run), then filled by SQL: a thousandth of
    /// the rows are runs, as many stages, the rest log entries (U+0000, tabs and unicode among them).
    static func makeStore() throws -> (daemon: TestDaemon, runs: Int, logs: Int, generated: Int) {
        let daemon = try TestDaemon()
        let job = try daemon.connect()
        let seed = try job.result("startRun", ["jobName": "seed"])["jobRunId"] as! String
        try job.notify("info", ["jobRunId": seed, "message": "seed entry"])
        _ = try job.result("finishRun", ["jobRunId": seed, "status": "SUCCESS"])
        #expect(daemon.terminate() == 0)
        let runs = rows / 1000
        let seeded = Int(try sqlite(daemon.databasePath, "SELECT count(*) FROM logs"))!
        let logs = rows - 2 * runs - seeded
        _ = try sqlite(
            daemon.databasePath,
            """
            PRAGMA synchronous = OFF;
            BEGIN;
            WITH RECURSIVE c(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM c WHERE x < \(runs))
            INSERT INTO runs (id, job_name, status, trigger, scope, params, outcome, saved_outcome, started_at,
                finished_at, last_heartbeat_at, error_message, node, slow)
            SELECT x, 'job-' || (x % 7), 'SUCCESS', 'MANUAL', 'system', '{"n":' || x || ',"a":1}', '{"b":1,"a":2}',
                '{}', 1700000000000 + x, 1700000000005 + x, 1700000000005 + x,
                CASE WHEN x % 10 = 0 THEN 'err' || char(0) || x END, 'gen', x % 2 FROM c;
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(runs))
            INSERT INTO stages (run_id, stage, message, started_at, finished_at, progress_start, progress_end)
            SELECT x, 'stage ' || x, 'Stage: ' || x, 1700000000000 + x, 1700000000001 + x, 0, x FROM c;
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(logs))
            INSERT INTO logs (id, run_id, level, stage, message, context, created_at)
            SELECT 1000 + x, 1 + x % \(runs), x % 5, CASE WHEN x % 3 = 0 THEN NULL ELSE 'stage ' || (x % 3) END,
                CASE x % 1000 WHEN 0 THEN 'nul' || char(0) || x WHEN 1 THEN 'tab' || char(9) || 'é\\' || x
                    ELSE 'entry ' || x END,
                '{"n":' || x || '}', 1700000000000 + x FROM c;
            COMMIT;
            """)
        return (daemon, runs, logs + seeded, logs)
    }

    static func count(_ url: String, _ table: String) throws -> Int {
        Int(try PostgresCluster.query(url: url, "SELECT count(*) FROM \(table)")) ?? -1
    }

    /// The entries in PostgreSQL are exactly the source's up to the largest id there.
    static func isPrefix(_ source: String, _ url: String) throws -> Bool {
        let last = try PostgresCluster.query(url: url, "SELECT max(id) FROM logs")
        let here = try sqlite(source, "SELECT count(*) FROM logs WHERE id <= \(last)")
        return try here == String(count(url, "logs"))
    }

    @Test func aLargeStoreIsCopiedAcrossAnInterruptionAndAKill() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let (daemon, runs, logs, generated) = try Self.makeStore()
        let source = daemon.databasePath
        let made = clock.now
        let url = try PostgresCluster.makeDatabase()

        // Stopped after 20 batches: a prefix of the runs and entries is there, nothing else.
        let stopped = try CopyStoreRunner.run(source: source, target: url, ["--stop-after-batches", "20"])
        #expect(stopped.status == 3, "\(stopped.errors)")
        let firstLogs = try Self.count(url, "logs")
        #expect(try Self.count(url, "runs") == runs)
        #expect(firstLogs > 0 && firstLogs < logs)
        #expect(try Self.isPrefix(source, url))

        // Killed mid-copy (once a batch more is there): every batch is a transaction.
        let killed = try CopyStoreRunner(source: source, target: url)
        var seen = firstLogs
        let deadline = Date().addingTimeInterval(120)
        while killed.process.isRunning, seen < firstLogs + 20_000, Date() < deadline {
            usleep(20_000)
            seen = try Self.count(url, "logs")
        }
        killed.kill9()
        let afterKill = try Self.count(url, "logs")
        #expect(afterKill > firstLogs)
        #expect(try Self.isPrefix(source, url))

        let resumed = try CopyStoreRunner.run(source: source, target: url)
        #expect(resumed.status == 0, "\(resumed.errors)")
        let done = clock.now
        #expect(resumed.output.contains("logs: \(logs) rows (source \(logs))"), "\(resumed.output)")
        #expect(try Self.count(url, "logs") == logs)
        #expect(try Self.count(url, "runs") == runs)
        #expect(try Self.count(url, "stages") == runs)

        // A sample of rows, byte for byte (messages and error texts as hex).
        let picked = Array(stride(from: 1, through: generated, by: max(1, generated / 150)))
        let sample = (picked + [1000, 1001, 2000, 2001].filter { $0 <= generated })
            .map { "\($0 + 1000)" }.joined(separator: ",")
        let logColumns = "id, run_id, level, coalesce(stage, '-'), lower(%@), context, created_at"
        let here = try Self.sqlite(
            source,
            "SELECT " + logColumns.replacingOccurrences(of: "%@", with: "hex(CAST(message AS BLOB))")
                + " FROM logs WHERE id IN (\(sample)) ORDER BY id")
        let there = try PostgresCluster.query(
            url: url,
            "SELECT " + logColumns.replacingOccurrences(of: "%@", with: "encode(message, 'hex')")
                + " FROM logs WHERE id IN (\(sample)) ORDER BY id")
        #expect(here.split(separator: "\n").count > 100)
        #expect(here == there)
        let runColumns = "id, job_name, params, outcome, started_at, finished_at, node, %@, slow"
        let runSample = "SELECT %@ FROM runs WHERE id % 97 = 1 OR id % 10 = 0 ORDER BY id LIMIT 200"
        let runsHere = try Self.sqlite(
            source,
            runSample.replacingOccurrences(
                of: "%@",
                with: runColumns.replacingOccurrences(
                    of: "%@", with: "lower(hex(CAST(error_message AS BLOB)))")
            ).replacingOccurrences(of: ", slow", with: ", CASE slow WHEN 1 THEN 't' ELSE 'f' END"))
        let runsThere = try PostgresCluster.query(
            url: url,
            runSample.replacingOccurrences(
                of: "%@", with: runColumns.replacingOccurrences(of: "%@", with: "encode(error_message, 'hex')")))
        #expect(runsHere == runsThere)
        #expect(runsHere.contains("65727200"), "err, U+0000, as hex")

        let makeSeconds = Double((made - started).components.seconds)
        let copySeconds = Double((done - made).components.seconds)
        print(
            "copy-store: \(Self.rows) rows made in \(makeSeconds) s, copied (stopped, killed, resumed) in \(copySeconds) s"
        )
    }
}
