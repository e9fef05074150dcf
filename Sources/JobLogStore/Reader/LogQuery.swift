import Foundation
import GRDB
import JobLogJSON
import JobLogModel

/// A page of one run's log entries, served by the one log index
/// `logs_by_run_level(run_id, level, id)` (migration `v4-one-log-index`).
///
/// One index range per wanted level, each already in id order: SQLite merges them
/// (`MERGE (UNION ALL)`, no sort) and stops at `limit`, then reads only the page's rows.
/// A page costs at most `limit` + 5 index entries and `limit` row reads, however large
/// the run and whether or not a level filter is given. The caller runs it within the
/// read budget (``ReadBudget``).
enum LogQuery {
    /// The statement and its arguments for entries of `run` at `minLevel` or above (all levels
    /// when nil). With `afterId`: the first `limit` after it; with `beforeId` (and no `afterId`):
    /// the newest `limit` before it; with neither: the newest `limit`. Ascending by id always.
    static func page(run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?, beforeId: Int64? = nil) -> (
        sql: String, arguments: StatementArguments
    ) {
        var arms: [String] = []
        var arguments: StatementArguments = []
        for level in levels(minLevel) {
            // The level is a literal: each arm is one index range.
            if let afterId {
                arms.append("SELECT id FROM logs WHERE run_id = ? AND level = \(level) AND id > ?")
                arguments += [run, afterId]
            } else if let beforeId {
                arms.append("SELECT id FROM logs WHERE run_id = ? AND level = \(level) AND id < ?")
                arguments += [run, beforeId]
            } else {
                arms.append("SELECT id FROM logs WHERE run_id = ? AND level = \(level)")
                arguments += [run]
            }
        }
        let order = afterId == nil ? "DESC" : ""
        let sql = """
            SELECT \(LogRow.columns) FROM logs WHERE id IN (
                \(arms.joined(separator: " UNION ALL ")) ORDER BY id \(order) LIMIT ?
            ) ORDER BY id
            """
        arguments += [limit]
        return (sql, arguments)
    }

    /// The levels read, one index range each: `minLevel` (debug when nil) up to error.
    static func levels(_ minLevel: LogLevel?) -> ClosedRange<Int> {
        (minLevel ?? .debug).rawValue...LogLevel.error.rawValue
    }

    /// Without `afterId`: the newest `limit` entries (before `beforeId` when given); with it: the
    /// first `limit` after it. In id order.
    static func fetch(
        _ db: Database, run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?, beforeId: Int64? = nil
    ) throws -> [LogRecord] {
        let query = page(run: run, minLevel: minLevel, limit: limit, afterId: afterId, beforeId: beforeId)
        return try Row.fetchAll(db.cachedStatement(sql: query.sql), arguments: query.arguments).map(LogRow.record)
    }
}
