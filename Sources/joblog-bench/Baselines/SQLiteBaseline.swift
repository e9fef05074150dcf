import Foundation
import GRDBSQLite
import JobLogStore
import Logging

/// SQLite with nothing in front: the same rows into the same schema, (a) 1,000 per
/// transaction and (b) committed one by one, the way a job writing to the database
/// itself would (the anti-pattern the seed warns against).
enum SQLiteBaseline {
    /// A fresh database with the daemon's schema (migrated by the store itself).
    static func freshDatabase(_ directory: String) throws -> String {
        let path = directory + "/baseline-\(UUID().uuidString.prefix(6)).sqlite"
        let store = try JobLogStore(configuration: StoreConfiguration(path: path), logger: Logger(label: "bench"))
        store.close()
        return path
    }

    /// Rows per second inserting `rows` log rows, `perTransaction` per commit.
    static func insertRate(directory: String, rows: Int, perTransaction: Int) throws -> Double {
        let path = try freshDatabase(directory)
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw BenchError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nil, nil, nil)
        sqlite3_exec(
            db,
            "INSERT INTO runs (job_name, status, trigger, scope, started_at, last_heartbeat_at) VALUES ('baseline', 'RUNNING', 'MANUAL', 'system', 0, 0)",
            nil, nil, nil)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(
            db,
            "INSERT INTO logs (run_id, level, stage, message, context, created_at) VALUES (1, 1, 'Processing', ?, ?, ?)",
            -1,
            &statement, nil)
        defer { sqlite3_finalize(statement) }
        let messages = (0..<rows).map { "processed item \($0)" }
        let contexts = (0..<rows).map { Workload.storedContext($0) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let t0 = now()
        var i = 0
        while i < rows {
            sqlite3_exec(db, "BEGIN", nil, nil, nil)
            let end = min(rows, i + perTransaction)
            while i < end {
                sqlite3_bind_text(statement, 1, messages[i], -1, transient)
                sqlite3_bind_text(statement, 2, contexts[i], -1, transient)
                sqlite3_bind_int64(statement, 3, Int64(i))
                guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError("insert failed") }
                sqlite3_reset(statement)
                i += 1
            }
            sqlite3_exec(db, "COMMIT", nil, nil, nil)
        }
        return Double(rows) / (now() - t0)
    }
}
