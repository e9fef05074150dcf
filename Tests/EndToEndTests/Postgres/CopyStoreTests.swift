import Foundation
import JobLogTestSupport
import Testing

/// `joblogd copy-store`: a store written by the real daemon on SQLite, copied into a real
/// PostgreSQL, and read back through a daemon on that database with the same answers, byte for byte.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct CopyStoreTests {
    /// One request on `client`; the answer's line exactly as the daemon wrote it.
    static func raw(_ client: LineClient, _ method: String, _ params: String) throws -> String {
        try client.send(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#)
        return try client.readLine() ?? ""
    }

    /// Every admin answer about the runs, as raw lines.
    static func answers(_ client: LineClient, runs: [String]) throws -> [String] {
        var lines = [try raw(client, "listRuns", #"{"limit":1000}"#)]
        for id in runs {
            let run = #"{"jobRunId":"\#(id)"}"#
            lines.append(try raw(client, "getRun", run))
            lines.append(try raw(client, "getOutcome", run))
            lines.append(try raw(client, "getStages", run))
            lines.append(try raw(client, "getProgress", run))
            lines.append(try raw(client, "getLogs", #"{"jobRunId":"\#(id)","afterId":"0","limit":10000}"#))
            lines.append(try raw(client, "getLogs", #"{"jobRunId":"\#(id)","level":"warning","limit":2}"#))
        }
        return lines
    }

    /// Runs of every kind: unicode, U+0000 in messages, contexts and an error, outcome keys in
    /// first-added order, stages, saved outcomes, a session.
    static func writeRuns(_ daemon: TestDaemon) throws -> [String] {
        let job = try daemon.connect()
        #expect(try job.result("hello", ["session": "copy-store-session-0001"])["applied"] as? Int == 0)
        var ids: [String] = []
        let first =
            try job.result(
                "startRun",
                [
                    "jobName": "étl-ünïcode ✓", "trigger": "SCHEDULED", "scope": "tenant/42", "algorithmVersion": "v7",
                    "params": ["z": 1, "a": [1, 2], "m": ["y": true, "b": NSNull()]], "heartbeatTimeoutMs": 60_000,
                ])["jobRunId"] as! String
        ids.append(first)
        try job.notify("setTotal", ["jobRunId": first, "total": 10, "unit": "files"])
        try job.notify("setStage", ["jobRunId": first, "stage": "Loading", "message": "Loading 🚀 files"])
        try job.notify("debug", ["jobRunId": first, "message": "debug\u{0}with NUL", "context": ["k": "v\u{0}w"]])
        try job.notify("info", ["jobRunId": first, "message": "tab\tnewline\nbackslash\\ quote\" 日本語"])
        for i in 1...3 {
            try job.notify("incrementProgress", ["jobRunId": first, "by": i])
            try job.notify("milestone", ["jobRunId": first, "message": "step \(i)", "context": ["z": i, "a": "x"]])
        }
        for key in ["zeta", "alpha", "mid", "alpha"] {
            try job.notify("addOutcome", ["jobRunId": first, "key": key, "count": 2])
        }
        _ = try job.result("saveOutcome", ["jobRunId": first])
        try job.notify("setStage", ["jobRunId": first, "stage": "Writing"])
        try job.notify("warning", ["jobRunId": first, "message": "slow disk ⚠"])
        try job.notify("addOutcome", ["jobRunId": first, "key": "beta", "count": -1])
        _ = try job.result(
            "finishRun",
            [
                "jobRunId": first, "status": "FAILED",
                "error": ["message": "broke\u{0}here ✗", "stack": "at main\n  at\u{0}run"],
            ])

        let second = try job.result("startRun", ["jobName": "plain"])["jobRunId"] as! String
        ids.append(second)
        try job.notify("setProgress", ["jobRunId": second, "current": 7])
        try job.notify("error", ["jobRunId": second, "message": "an error entry"])
        _ = try job.result("logSummary", ["jobRunId": second])
        _ = try job.result("finishRun", ["jobRunId": second, "status": "SUCCESS"])

        let third =
            try job.result("startRun", ["jobName": "plain", "params": ["b": 2, "a": 1]])["jobRunId"] as! String
        ids.append(third)
        try job.notify("setStage", ["jobRunId": third, "stage": "Only"])
        _ = try job.result("finishRun", ["jobRunId": third, "status": "CANCELLED", "error": "stopped by hand"])
        return ids
    }

    @Test func aDaemonsStoreReadsTheSameOnPostgres() throws {
        let sqlite = try TestDaemon()
        let ids = try Self.writeRuns(sqlite)
        let before = try Self.answers(sqlite.connect(), runs: ids)
        #expect(sqlite.terminate() == 0)

        let url = try PostgresCluster.makeDatabase()
        let password = sqlite.directory + "/pgpass"
        try "unused with trust auth\n".write(toFile: password, atomically: true, encoding: .utf8)
        let copy = try CopyStoreRunner.run(
            source: sqlite.databasePath, target: url, ["--to-password-file", password, "--batch-rows", "2"])
        #expect(copy.status == 0, "\(copy.errors)")
        #expect(copy.output.contains("runs: 3 rows (source 3)"), "\(copy.output)")
        #expect(copy.output.contains("sessions: 1 rows (source 1)"), "\(copy.output)")
        #expect(!copy.errors.isEmpty, "a progress line")

        let postgres = try TestDaemon(arguments: ["--store", url])
        let reader = try postgres.connect()
        let after = try Self.answers(reader, runs: ids)
        for (a, b) in zip(before, after) { #expect(a == b) }
        #expect(before.count == after.count)
        #expect(before.joined().contains(#"debug\u0000with NUL"#))
        #expect(before.joined().contains(#""outcomeSummary":{"zeta":2,"alpha":4,"mid":2,"beta":-1}"#))

        // The session's count came along: a hello continues it.
        let job = try postgres.connect()
        #expect(try job.result("hello", ["session": "copy-store-session-0001"])["applied"] as? Int ?? 0 > 0)

        // Run again: nothing left to copy, still checked.
        let again = try CopyStoreRunner.run(source: sqlite.databasePath, target: url)
        #expect(again.status == 0, "\(again.errors)")
        #expect(again.output.contains("copied 0 rows"), "\(again.output)")

        // The sequences are past the copied ids.
        let lastLog = try PostgresCluster.query(url: url, "SELECT max(id) FROM logs")
        let next = try job.result("startRun", ["jobName": "after the move"])["jobRunId"] as! String
        #expect(Int(next)! > Int(ids.last!)!)
        let entry = try job.result("info", ["jobRunId": next, "message": "new"])["id"] as! String
        #expect(Int(entry)! > Int(lastLog)!)
        _ = try job.result("finishRun", ["jobRunId": next, "status": "SUCCESS"])
        #expect(postgres.terminate() == 0)

        // Now the target holds a run this store does not: copying into it again is refused.
        let refused = try CopyStoreRunner.run(source: sqlite.databasePath, target: url)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("not a copy of"), "\(refused.errors)")
    }

    @Test func aStoreServedByADaemonIsNotCopied() throws {
        let sqlite = try TestDaemon()
        let job = try sqlite.connect()
        _ = try job.result("startRun", ["jobName": "busy"])
        let url = try PostgresCluster.makeDatabase()
        let copy = try CopyStoreRunner.run(source: sqlite.databasePath, target: url)
        #expect(copy.status == 1)
        #expect(copy.errors.contains("pid \(sqlite.pid)") && copy.errors.contains("stop it"), "\(copy.errors)")
        #expect(try PostgresCluster.query(url: url, "SELECT count(*) FROM pg_tables WHERE tablename = 'runs'") == "0")
    }

    @Test func aTargetWithOtherRunsIsRefusedUntouched() throws {
        let sqlite = try TestDaemon()
        let job = try sqlite.connect()
        for name in ["a", "b"] {
            let id = try job.result("startRun", ["jobName": name])["jobRunId"] as! String
            _ = try job.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
        }
        #expect(sqlite.terminate() == 0)

        // A database a PostgreSQL daemon already wrote: run 1 is another job's.
        let url = try PostgresCluster.makeDatabase()
        let other = try TestDaemon(arguments: ["--store", url])
        let id = try other.connect().result("startRun", ["jobName": "someone else"])["jobRunId"] as! String
        #expect(id == "1")
        #expect(other.terminate() == 0)

        let copy = try CopyStoreRunner.run(source: sqlite.databasePath, target: url)
        #expect(copy.status == 1)
        #expect(copy.errors.contains("not the run 1 of") || copy.errors.contains("not from"), "\(copy.errors)")
        #expect(try PostgresCluster.query(url: url, "SELECT count(*) FROM runs") == "1")
    }

    @Test func badArgumentsAreRefused() throws {
        let missing = try CopyStoreRunner.run(source: "/nonexistent/x.sqlite", target: "postgres://u@127.0.0.1/db")
        #expect(missing.status == 1 && missing.errors.contains("no SQLite store"), "\(missing.errors)")
        let badURL = try CopyStoreRunner.run(source: "/tmp/x.sqlite", target: "mysql://u@h/db")
        #expect(badURL.status == 64, "\(badURL.errors)")
        let badBatch = try CopyStoreRunner.run(
            source: "/tmp/x.sqlite", target: "postgres://u@127.0.0.1/db", ["--batch-rows", "0"])
        #expect(badBatch.status == 64, "\(badBatch.errors)")
        let noPassword = try CopyStoreRunner.run(
            source: "/tmp/x.sqlite", target: "postgres://u@127.0.0.1/db", ["--to-password-file", "/nonexistent/pw"])
        #expect(noPassword.status == 1 && noPassword.errors.contains("cannot read --to-password-file"))
    }
}
