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
    ///
    /// The texts are bound `SQLITE_STATIC` (no copy by SQLite): their buffers outlive the step,
    /// which runs inside the closures that lend them; the statement is reset before they end.
    func insert(run: Int64, level: Int, stage: String?, message: String, context: String, createdAt: Int64) throws
        -> Int64
    {
        guard let statement else { throw StoreError.unavailable("statement is closed") }
        sqlite3_bind_int64(statement, 1, run)
        sqlite3_bind_int(statement, 2, Int32(level))
        sqlite3_bind_int64(statement, 6, createdAt)
        var message = message
        var context = context
        let rc = message.withUTF8 { messageBytes in
            context.withUTF8 { contextBytes in
                Self.bindText(statement, 4, messageBytes)
                Self.bindText(statement, 5, contextBytes)
                guard var stage else {
                    sqlite3_bind_null(statement, 3)
                    return Self.step(statement)
                }
                return stage.withUTF8 { stageBytes in
                    Self.bindText(statement, 3, stageBytes)
                    return Self.step(statement)
                }
            }
        }
        guard rc == SQLITE_DONE else { throw Self.error(rc, connection) }
        return sqlite3_last_insert_rowid(connection)
    }

    /// Steps and resets (so that no bound buffer is read after the caller's closure ends).
    private static func step(_ statement: OpaquePointer) -> Int32 {
        let rc = sqlite3_step(statement)
        sqlite3_reset(statement)
        return rc
    }

    /// Binds with an explicit length, so a message holding U+0000 is stored whole.
    private static func bindText(_ statement: OpaquePointer, _ index: Int32, _ utf8: UnsafeBufferPointer<UInt8>) {
        if let base = utf8.baseAddress {
            base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { chars in
                // A nil destructor is SQLITE_STATIC.
                _ = sqlite3_bind_text(statement, index, chars, Int32(utf8.count), nil)
            }
        } else {
            _ = sqlite3_bind_text(statement, index, "", 0, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
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
