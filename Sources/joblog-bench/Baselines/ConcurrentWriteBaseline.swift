import Foundation
import GRDBSQLite

/// The two baselines of acknowledged writes from 8 clients, both durable per answer:
///
/// - the direct-write anti-pattern: 8 threads, each with its own connection to one WAL
///   file, each row its own `BEGIN IMMEDIATE; INSERT; COMMIT` into its own run (a lock
///   conflict is retried at once, the most favourable busy handler there is);
/// - the group-commit bound: one thread, one connection, each commit 8 rows into 8 runs
///   (what a perfect sidecar could do with 8 clients each waiting for its row).
enum ConcurrentWriteBaseline {
    /// Rows per second, `threads` writers each committing `each` rows one by one.
    static func directWrites(directory: String, threads: Int, each: Int) throws -> Double {
        let path = try SQLiteBaseline.freshDatabase(directory)
        let runs = try insertRuns(path, count: threads)
        let failures = Counter()
        let t0 = now()
        parallel(threads) { t in
            do {
                let db = try open(path)
                defer { sqlite3_close(db) }
                let insert = try prepare(db, runID: runs[t])
                defer { sqlite3_finalize(insert) }
                for i in 0..<each {
                    try exec(db, "BEGIN IMMEDIATE")
                    try step(insert, i)
                    try exec(db, "COMMIT")
                }
            } catch {
                failures.add()
            }
        }
        let elapsed = now() - t0
        if failures.value > 0 { throw BenchError("direct writes: \(failures.value) threads failed") }
        return Double(threads * each) / elapsed
    }

    /// Rows per second, one thread committing `rowsPerCommit` rows (one per run) at a time.
    static func groupCommit(directory: String, rowsPerCommit: Int, commits: Int) throws -> Double {
        let path = try SQLiteBaseline.freshDatabase(directory)
        let runs = try insertRuns(path, count: rowsPerCommit)
        let db = try open(path)
        defer { sqlite3_close(db) }
        let inserts = try runs.map { try prepare(db, runID: $0) }
        defer { for s in inserts { sqlite3_finalize(s) } }
        let t0 = now()
        for i in 0..<commits {
            try exec(db, "BEGIN IMMEDIATE")
            for s in inserts { try step(s, i) }
            try exec(db, "COMMIT")
        }
        return Double(rowsPerCommit * commits) / (now() - t0)
    }

    private static func open(_ path: String) throws -> OpaquePointer {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw BenchError("cannot open \(path)") }
        // Retry a busy lock at once (after yielding the core): no sleeping back-off. Set before
        // the first statement: the 8 writers open the file at the same time.
        sqlite3_busy_handler(
            db,
            { _, _ in
                sched_yield()
                return 1
            }, nil)
        try exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
        return db
    }

    private static func insertRuns(_ path: String, count: Int) throws -> [Int64] {
        let db = try open(path)
        defer { sqlite3_close(db) }
        var ids: [Int64] = []
        for _ in 0..<count {
            try exec(
                db,
                "INSERT INTO runs (job_name, status, trigger, scope, started_at, last_heartbeat_at) VALUES ('baseline', 'RUNNING', 'MANUAL', 'system', 0, 0)"
            )
            ids.append(sqlite3_last_insert_rowid(db))
        }
        return ids
    }

    private static func prepare(_ db: OpaquePointer, runID: Int64) throws -> OpaquePointer {
        var statement: OpaquePointer?
        let sql =
            "INSERT INTO logs (run_id, level, stage, message, context, created_at) VALUES (\(runID), 1, NULL, 'acknowledged', '{}', ?)"
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw BenchError("prepare failed: \(String(cString: sqlite3_errmsg(db)))")
        }
        return statement
    }

    private static func step(_ statement: OpaquePointer, _ i: Int) throws {
        sqlite3_bind_int64(statement, 1, Int64(i))
        let rc = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard rc == SQLITE_DONE else { throw BenchError("insert failed: \(rc)") }
    }

    private static func exec(_ db: OpaquePointer, _ sql: String) throws {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))") }
    }
}
