import GRDB
import GRDBSQLite
import JobLogModel

/// Writes a run's row at commit: one prepared `UPDATE runs` bound with raw `sqlite3_*`
/// calls (GRDB's `StatementArguments` box each of its 25 values), the empty outcome
/// written without building its JSON.
final class RunUpdater {
    private var statement: OpaquePointer?
    private let connection: OpaquePointer

    init(_ db: Database) throws {
        guard let connection = db.sqliteConnection else { throw StoreError.unavailable("database is closed") }
        self.connection = connection
        let rc = sqlite3_prepare_v3(connection, RunRow.update, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK else { throw Self.error(rc, connection) }
    }

    /// Writes every column the writer changes (the order of ``RunRow/update``).
    func update(_ r: RunRecord) throws {
        guard let statement else { throw StoreError.unavailable("statement is closed") }
        bind(1, r.status.rawValue)
        bind(2, r.currentStage)
        sqlite3_bind_int64(statement, 3, r.progressCurrent)
        bind(4, r.progressTotal)
        bind(5, r.unit)
        bind(6, Self.text(r.outcome))
        bind(7, Self.text(r.savedOutcome))
        bind(8, r.finishedAt?.milliseconds)
        sqlite3_bind_int64(statement, 9, r.lastHeartbeatAt.milliseconds)
        bind(10, r.errorMessage)
        bind(11, r.errorStack)
        sqlite3_bind_int64(statement, 12, r.logCounts.debug)
        sqlite3_bind_int64(statement, 13, r.logCounts.info)
        sqlite3_bind_int64(statement, 14, r.logCounts.milestone)
        sqlite3_bind_int64(statement, 15, r.logCounts.warning)
        sqlite3_bind_int64(statement, 16, r.logCounts.error)
        sqlite3_bind_int64(statement, 17, r.droppedLogCounts.debug)
        sqlite3_bind_int64(statement, 18, r.droppedLogCounts.info)
        sqlite3_bind_int64(statement, 19, r.rejectedCount)
        bind(20, r.lastRejection)
        bind(21, r.cancelRequestedAt?.milliseconds)
        bind(22, r.cancelReason)
        bind(23, r.stalledSince?.milliseconds)
        sqlite3_bind_int64(statement, 24, r.slow ? 1 : 0)
        sqlite3_bind_int64(statement, 25, r.id)
        let rc = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard rc == SQLITE_DONE else { throw Self.error(rc, connection) }
    }

    private static func text(_ counters: OutcomeCounters) -> String {
        counters.entries.isEmpty ? "{}" : counters.jsonText
    }

    private func bind(_ index: Int32, _ value: Int64?) {
        if let value {
            sqlite3_bind_int64(statement, index, value)
        } else {
            sqlite3_bind_null(statement, index)
        }
    }

    /// Binds a copy (`SQLITE_TRANSIENT`): these texts are short, and few per commit.
    private func bind(_ index: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(statement, index)
            return
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                if let base = chars.baseAddress {
                    _ = sqlite3_bind_text(statement, index, base, Int32(chars.count), transient)
                } else {
                    _ = sqlite3_bind_text(statement, index, "", 0, transient)
                }
            }
        }
    }

    private static func error(_ rc: Int32, _ connection: OpaquePointer) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(connection)))
    }

    deinit {
        sqlite3_finalize(statement)
    }
}
