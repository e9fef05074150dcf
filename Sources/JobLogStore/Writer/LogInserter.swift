import GRDB
import GRDBSQLite

/// The hot path: one prepared `INSERT INTO logs` reused for every entry, bound with
/// raw `sqlite3_*` calls (GRDB's `StatementArguments` box every value).
final class LogInserter {
    private var statement: OpaquePointer?
    private let connection: OpaquePointer

    init(_ db: Database) throws {
        guard let connection = db.sqliteConnection else { throw StoreError.unavailable("database is closed") }
        self.connection = connection
        let sql = "INSERT INTO logs (run_id, level, stage, message, context, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        let rc = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK else { throw Self.error(rc, connection) }
    }

    /// Inserts one entry; returns its id.
    func insert(run: Int64, level: Int, stage: String?, message: String, context: String, createdAt: Int64) throws
        -> Int64
    {
        guard let statement else { throw StoreError.unavailable("statement is closed") }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_bind_int64(statement, 1, run)
        sqlite3_bind_int(statement, 2, Int32(level))
        if let stage {
            bindText(statement, 3, stage, transient)
        } else {
            sqlite3_bind_null(statement, 3)
        }
        bindText(statement, 4, message, transient)
        bindText(statement, 5, context, transient)
        sqlite3_bind_int64(statement, 6, createdAt)
        let rc = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard rc == SQLITE_DONE else { throw Self.error(rc, connection) }
        return sqlite3_last_insert_rowid(connection)
    }

    /// Binds with an explicit length, so a message holding U+0000 is stored whole.
    private func bindText(
        _ statement: OpaquePointer, _ index: Int32, _ text: String, _ destructor: sqlite3_destructor_type
    ) {
        var text = text
        text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                if let base = chars.baseAddress {
                    _ = sqlite3_bind_text(statement, index, base, Int32(chars.count), destructor)
                } else {
                    _ = sqlite3_bind_text(statement, index, "", 0, destructor)
                }
            }
        }
    }

    /// SQLite's failure with its result code, so the writer can tell "disk full" from "read-only" or "locked".
    private static func error(_ rc: Int32, _ connection: OpaquePointer) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(connection)))
    }

    deinit {
        sqlite3_finalize(statement)
    }
}
