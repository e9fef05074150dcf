import Foundation
import GRDB
import JobLogJSON
import JobLogModel

/// A page of one run's log entries, read as index walks only.
///
/// "The newest N at or above level L" is one backward walk of `logs_by_run(run_id, id)` when L is
/// the lowest level (every entry qualifies), else one walk of `logs_by_run_level(run_id, level, id)`
/// per qualifying level (at most four), each stopping after N rows, merged here. So the rows
/// examined are at most 4 × N, whatever the run's size and its mix of levels.
enum LogQuery {
    /// Columns of a log row; the message is read as bytes, so one holding U+0000 comes back whole.
    static let columns = "id, level, stage, CAST(message AS BLOB), context, created_at"

    /// The statement for one walk: over every level (`level == nil`) or over one level.
    static func sql(level: Int?, newest: Bool) -> String {
        var sql = "SELECT \(columns) FROM logs WHERE run_id = ?"
        if level != nil { sql += " AND level = ?" }
        sql += newest ? " ORDER BY id DESC LIMIT ?" : " AND id > ? ORDER BY id LIMIT ?"
        return sql
    }

    /// The levels to walk one by one; nil when every level qualifies (one walk over all).
    static func levels(_ minLevel: LogLevel?) -> [Int]? {
        guard let minLevel, minLevel != .debug else { return nil }
        return Array(minLevel.rawValue...LogLevel.error.rawValue)
    }

    /// Without `afterId`: the newest `limit` entries; with it: the first `limit` after it. In id order.
    static func fetch(_ db: Database, run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?) throws
        -> [LogRecord]
    {
        let newest = afterId == nil
        var records: [LogRecord] = []
        for level in levels(minLevel).map({ $0.map(Optional.some) }) ?? [nil] {
            var arguments: StatementArguments = [run]
            if let level { arguments += [level] }
            if let afterId { arguments += [afterId] }
            arguments += [limit]
            let statement = try db.cachedStatement(sql: sql(level: level, newest: newest))
            records += try Row.fetchAll(statement, arguments: arguments).map(record)
        }
        records.sort { $0.id < $1.id }
        if records.count > limit {
            records = newest ? Array(records.suffix(limit)) : Array(records.prefix(limit))
        }
        return records
    }

    private static func record(_ row: Row) -> LogRecord {
        let message = (row[3] as Data?).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return LogRecord(
            id: row[0], level: LogLevel(rawValue: row[1]) ?? .info, stage: row[2], message: message,
            context: RawJSON(validating: row[4] as String) ?? .emptyObject,
            createdAt: Timestamp(milliseconds: row[5]))
    }
}
