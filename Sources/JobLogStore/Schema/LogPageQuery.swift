import GRDB
import JobLogModel

/// The SQL of a page of a run's log entries, served by the one log index
/// `logs_by_run_level(run_id, level, id)` (migration `v4-one-log-index`).
///
/// One index range per wanted level, each already in id order: SQLite merges them
/// (`MERGE (UNION ALL)`, no sort) and stops at `limit`, then reads only the page's rows.
/// A page costs at most `limit` + 5 index entries and `limit` row reads, however large
/// the run and whether or not a level filter is given.
struct LogPageQuery {
    var sql: String
    var arguments: StatementArguments

    /// Entries of `run` at `minLevel` or above (all levels when nil). With `afterId`: the
    /// first `limit` after it; without: the newest `limit`. Ascending by id either way.
    init(run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?) {
        let levels = (minLevel ?? .debug).rawValue...LogLevel.error.rawValue
        var arms: [String] = []
        var arguments: StatementArguments = []
        for level in levels {
            if let afterId {
                arms.append("SELECT id FROM logs WHERE run_id = ? AND level = \(level) AND id > ?")
                arguments += [run, afterId]
            } else {
                arms.append("SELECT id FROM logs WHERE run_id = ? AND level = \(level)")
                arguments += [run]
            }
        }
        let order = afterId == nil ? "DESC" : ""
        sql = """
            SELECT id, level, stage, message, context, created_at FROM logs WHERE id IN (
                \(arms.joined(separator: " UNION ALL ")) ORDER BY id \(order) LIMIT ?
            ) ORDER BY id
            """
        arguments += [limit]
        self.arguments = arguments
    }
}
