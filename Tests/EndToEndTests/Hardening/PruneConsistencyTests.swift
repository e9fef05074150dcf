import Foundation
import JobLogTestSupport
import Testing

/// Prune and counts (issue 10, point 13): `kill -9` during `pruneRuns` could leave a partly pruned
/// run whose `logCounts` no longer matched its rows (and readers saw it during a live prune). A run's
/// row now goes first, with a `pruned_runs` entry in the same transaction; its logs follow in bounded
/// steps; a restart finishes what a crash interrupted.
@Suite struct PruneConsistencyTests {
    static let runs = 20
    static let entriesPerRun = 10_000

    /// Runs a Python sqlite3 script against the database; its standard output.
    static func sql(_ db: String, _ script: String) -> String {
        Reliability.run(["python3", "-c", "import sqlite3,sys,time\ndb=sqlite3.connect(sys.argv[1])\n" + script, db])
            .output
    }

    /// Run rows whose counts do not match their log rows, as "id:counted:stored".
    static func mismatches(_ db: String) -> String {
        sql(
            db,
            """
            rows = db.execute('''SELECT r.id, r.log_debug + r.log_info + r.log_milestone + r.log_warning + r.log_error,
                (SELECT count(*) FROM logs l WHERE l.run_id = r.id) FROM runs r''').fetchall()
            print(' '.join('%d:%d:%d' % row for row in rows if row[1] != row[2]))
            """)
    }

    @Test(
        .enabled(if: Reliability.hasCommand("python3"), "needs python3 to read the database file"),
        .enabled(if: !TestDaemon.onPostgres, "\(TestDaemon.sqliteOnlyReason)"))
    func killDuringPruneLeavesNoHalfPrunedRun() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        for _ in 0..<Self.runs {
            let id = try c.result("startRun", ["jobName": "to-prune"])["jobRunId"] as! String
            var lines: [UInt8] = []
            for i in 0..<Self.entriesPerRun {
                let line = #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"\#(id)","message":"entry \#(i)"}}"#
                lines += Array(line.utf8) + [0x0A]
            }
            try c.sendBytes(lines)
            _ = try c.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
        }
        let total = Self.runs * Self.entriesPerRun
        usleep(20_000)
        // Start a prune of everything, and kill the daemon as soon as the first rows are gone
        // (a watcher polls the file from another process, started before the prune).
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        watcher.arguments = [
            "python3", "-c",
            """
            import sqlite3,sys,time
            db=sqlite3.connect(sys.argv[1])
            db.execute('SELECT count(*) FROM logs').fetchone()
            print('ready', flush=True)
            for _ in range(200000):
                if db.execute('SELECT count(*) FROM logs').fetchone()[0] < \(total): break
                time.sleep(0.0005)
            """,
            daemon.databasePath,
        ]
        let out = Pipe()
        watcher.standardOutput = out
        try watcher.run()
        var ready = Data()
        while !String(decoding: ready, as: UTF8.self).contains("ready") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            ready += chunk
        }
        let pruner = try daemon.connect()
        try pruner.send(#"{"jsonrpc":"2.0","id":1,"method":"pruneRuns","params":{"olderThanDays":0}}"#)
        watcher.waitUntilExit()
        daemon.kill9()
        let left = Int(Self.sql(daemon.databasePath, "print(db.execute('SELECT count(*) FROM logs').fetchone()[0])"))
        #expect(
            left != nil && left! > 0 && left! < total,
            "kill -9 did not land mid-prune: \(String(describing: left)) left")
        // What is on disk right after the crash: every run that is still there is whole.
        let halfPruned = Self.mismatches(daemon.databasePath)
        #expect(halfPruned == "", "half-pruned runs (id:counted:stored) after kill -9")
        // The restart finishes the interrupted prune by itself: no log row without its run.
        try daemon.start()
        var orphans = ""
        for _ in 0..<100 {
            orphans = Self.sql(
                daemon.databasePath,
                "print(db.execute('SELECT count(*) FROM logs WHERE run_id NOT IN (SELECT id FROM runs)').fetchone()[0])"
            )
            if orphans == "0" { break }
            usleep(100_000)
        }
        #expect(orphans == "0")
        #expect(Self.mismatches(daemon.databasePath) == "")
        let remaining = try daemon.connect().result("listRuns", ["limit": 100])["runs"] as? [Any] ?? []
        print(
            "pruneKill: \(Self.runs) runs x \(Self.entriesPerRun) entries, kill -9 with \(left ?? -1) log rows left: "
                + "\(remaining.count) runs left, half-pruned (id:counted:stored): [\(halfPruned)]")
        // And a new prune finishes the job.
        let result = try daemon.connect().result("pruneRuns", ["olderThanDays": 0])
        #expect(result["deletedRuns"] != nil, "\(result)")
        #expect(Self.sql(daemon.databasePath, "print(db.execute('SELECT count(*) FROM logs').fetchone()[0])") == "0")
        let pending = Self.sql(
            daemon.databasePath, "print(db.execute('SELECT count(*) FROM pruned_runs').fetchone()[0])")
        #expect(pending == "0")
    }
}
