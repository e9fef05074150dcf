import Foundation
import GRDB
import JobLogJSON
import JobLogModel

/// Reads `logs` rows: one column list and one decoder for every query that returns entries.
enum LogRow {
    /// The columns an entry is read with, in ``Column`` order; the message is read as bytes,
    /// so one holding U+0000 comes back whole.
    static let columns = "id, level, stage, CAST(message AS BLOB), context, created_at"

    /// The positions of ``columns`` (read by position: a name lookup per column per row
    /// costs more than the page's SQLite work).
    enum Column: Int {
        case id, level, stage, message, context, createdAt
    }

    /// An entry from a row selected with ``columns``.
    static func record(_ row: Row) -> LogRecord {
        let message = (row[Column.message.rawValue] as Data?).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return LogRecord(
            id: row[Column.id.rawValue], level: LogLevel(rawValue: row[Column.level.rawValue]) ?? .info,
            stage: row[Column.stage.rawValue], message: message,
            context: RawJSON(validating: row[Column.context.rawValue] as String) ?? .emptyObject,
            createdAt: Timestamp(milliseconds: row[Column.createdAt.rawValue]))
    }
}
