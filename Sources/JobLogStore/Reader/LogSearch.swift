import GRDB
import JobLogJSON
import JobLogModel

/// What `searchLogs` asks for: entries across runs.
public struct LogSearchFilter: Sendable {
    public var runID: Int64?
    public var jobName: String?
    public var minLevel: LogLevel?
    /// Created at or after (milliseconds).
    public var since: Int64?
    /// Created before (milliseconds).
    public var until: Int64?
    /// A substring of the message or of the context's JSON text.
    public var text: String?
    /// Page forward from this id; nil: the newest `limit` entries.
    public var afterId: Int64?
    public var limit: Int

    public init(
        runID: Int64? = nil, jobName: String? = nil, minLevel: LogLevel? = nil, since: Int64? = nil,
        until: Int64? = nil,
        text: String? = nil, afterId: Int64? = nil, limit: Int
    ) {
        self.runID = runID
        self.jobName = jobName
        self.minLevel = minLevel
        self.since = since
        self.until = until
        self.text = text
        self.afterId = afterId
        self.limit = limit
    }
}

/// An entry found by a search, with its run.
public struct SearchedLog: Sendable, Equatable {
    public var record: LogRecord
    public var runID: Int64
    public var jobName: String

    public init(record: LogRecord, runID: Int64, jobName: String) {
        self.record = record
        self.runID = runID
        self.jobName = jobName
    }
}

/// Reads entries across runs as index walks, never a sort of everything that matches.
///
/// The search is a merge of streams, each an index walk in id order: one per level at
/// or above the minimum (`logs_by_level`), times one per run of the job (`logs_by_run_level`;
/// a run's stream over several levels is one statement whose per-level ranges SQLite merges in
/// id order, as there is no `(run_id, id)` index since `v4-one-log-index`). Each stream is read
/// in chunks, so the cost is
/// one seek per stream plus the entries returned (and, with `text`, the entries the
/// walks pass over). A time window becomes an id window by a binary search over ids
/// (entry times grow with ids), and is then checked on each entry.
struct LogSearch {
    /// Above this many streams a search walks each run's ids, filtering on the level.
    static let maxStreams = 512
    /// Above this many runs of a job a search walks ids once.
    static let maxRunStreams = 256

    let filter: LogSearchFilter

    func run(_ db: Database) throws -> [SearchedLog] {
        let ascending = filter.afterId != nil
        var low = filter.afterId ?? 0  // exclusive
        var high = Int64.max  // exclusive
        if let since = filter.since {
            guard let first = try firstID(atOrAfter: since, db) else { return [] }
            low = max(low, first - 1)
        }
        if let until = filter.until, let first = try firstID(atOrAfter: until, db) { high = min(high, first) }
        guard low < high - 1 else { return [] }

        var runs: [Int64?] = [nil]
        var runClause: String?
        if filter.runID != nil || filter.jobName != nil {
            var sql = "SELECT id FROM runs WHERE 1"
            var arguments: StatementArguments = []
            if let runID = filter.runID {
                sql += " AND id = ?"
                arguments += [runID]
            }
            if let jobName = filter.jobName {
                sql += " AND job_name = ?"
                arguments += [jobName]
            }
            let ids = try Int64.fetchAll(db, sql: sql + " ORDER BY id DESC", arguments: arguments)
            guard !ids.isEmpty else { return [] }
            if ids.count <= Self.maxRunStreams {
                runs = ids
            } else {
                // `+`: walk the ids (a job with that many runs writes often), never gather and sort.
                runClause = "+run_id IN (SELECT id FROM runs WHERE job_name = ?)"
            }
        }
        var levels: [LogLevel?] = [nil]
        var levelClause = false
        if let minLevel = filter.minLevel, minLevel > .debug {
            levels = LogLevel.allCases.filter { $0 >= minLevel }
            if runs.count * levels.count > Self.maxStreams {
                levels = [nil]
                levelClause = true
            }
        }
        var streams: [Stream] = []
        for run in runs {
            for level in levels {
                // One run over several levels: one range of `logs_by_run_level` per level, merged.
                let arms = run != nil && level == nil ? LogQuery.levels(filter.minLevel).map { $0 } : nil
                streams.append(
                    Stream(
                        query: query(
                            run: run, level: level, runClause: runClause, levelClause: levelClause && arms == nil),
                        ascending: ascending, next: ascending ? low : high, end: ascending ? high : low, levels: arms))
            }
        }
        // Many streams: first try one walk over the newest ids (a busy job's entries are dense there).
        if streams.count > 8, let probe = try probe(low: low, high: high, ascending: ascending, db) {
            streams = [probe]
        }
        // Many streams start with small chunks (most are never read far); each refill doubles.
        let first = streams.count == 1 ? filter.limit : min(filter.limit, max(4, 2 * filter.limit / streams.count + 1))
        for i in streams.indices { streams[i].chunk = first }
        var found: [(id: Int64, run: Int64)] = []
        while found.count < filter.limit {
            var best: Int?
            for i in streams.indices {
                if streams[i].buffer.isEmpty, !streams[i].exhausted { try streams[i].fill(upTo: filter.limit, db) }
                guard let head = streams[i].buffer.last else { continue }
                if let b = best, let current = streams[b].buffer.last {
                    if ascending ? head.id < current.id : head.id > current.id { best = i }
                } else {
                    best = i
                }
            }
            guard let b = best, let entry = streams[b].buffer.popLast() else { break }
            found.append(entry)
        }
        if !ascending { found.reverse() }
        let records = try entries(found.map(\.id), db)
        let names = try jobNames(Set(found.map(\.run)), db)
        return found.compactMap { entry in
            records[entry.id].map { SearchedLog(record: $0, runID: entry.run, jobName: names[entry.run] ?? "") }
        }
    }

    /// One walk over at most `20 × limit` ids at the near end of the window, filtering on
    /// everything; the stream when it found `limit` entries (then they are the answer), else nil.
    private func probe(low: Int64, high: Int64, ascending: Bool, _ db: Database) throws -> Stream? {
        // Two queries: SQLite answers a lone min() or max() with one seek, both together with a scan.
        guard filter.jobName != nil, let bottom = try Int64.fetchOne(db, sql: "SELECT min(id) FROM logs"),
            let top = try Int64.fetchOne(db, sql: "SELECT max(id) FROM logs")
        else { return nil }
        let span = Int64(filter.limit) * 20
        let byLevel = (filter.minLevel ?? .debug) > .debug
        let query = query(
            run: filter.runID, level: nil, runClause: "+run_id IN (SELECT id FROM runs WHERE job_name = ?)",
            levelClause: byLevel)
        var stream: Stream
        if ascending {
            let from = max(low, bottom - 1)
            stream = Stream(query: query, ascending: true, next: from, end: min(high, from + span + 1), levels: nil)
        } else {
            let from = min(high, top + 1)
            stream = Stream(query: query, ascending: false, next: from, end: max(low, from - span - 1), levels: nil)
        }
        stream.chunk = filter.limit
        try stream.fill(upTo: filter.limit, db)
        guard stream.buffer.count == filter.limit else { return nil }
        stream.exhausted = true
        return stream
    }

    /// The entries with these ids (the walks read ids only, from the indexes).
    private func entries(_ ids: [Int64], _ db: Database) throws -> [Int64: LogRecord] {
        var records: [Int64: LogRecord] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            let part = Array(ids[start..<min(ids.count, start + 500)])
            let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(LogRow.columns) FROM logs WHERE id IN (\(marks))",
                arguments: StatementArguments(part))
            for row in rows {
                let record = LogRow.record(row)
                records[record.id] = record
            }
        }
        return records
    }

    /// The statement of one chunk of a stream: `clauses` (each followed by " AND "), then the id
    /// window (exclusive bounds: start, end) and the limit. With `levels`: one arm per level (a
    /// literal), each one range of `logs_by_run_level`, merged by SQLite in id order (arguments:
    /// the clauses' and the window's once per arm, then the limit).
    static func streamSQL(_ clauses: String, levels: [Int]?, ascending: Bool) -> String {
        let window = ascending ? "id > ? AND id < ?" : "id < ? AND id > ?"
        let order = ascending ? "ASC" : "DESC"
        guard let levels else {
            return "SELECT id, run_id FROM logs WHERE \(clauses)\(window) ORDER BY id \(order) LIMIT ?"
        }
        return levels.map { "SELECT id, run_id FROM logs WHERE \(clauses)level = \($0) AND \(window)" }
            .joined(separator: " UNION ALL ") + " ORDER BY id \(order) LIMIT ?"
    }

    /// The SQL and arguments of one stream, without the id window and the limit.
    private func query(run: Int64?, level: LogLevel?, runClause: String?, levelClause: Bool) -> (
        String, [DatabaseValueConvertible?]
    ) {
        var clauses: [String] = []
        var arguments: [DatabaseValueConvertible?] = []
        if let run {
            clauses.append("run_id = ?")
            arguments.append(run)
        } else if let runClause {
            clauses.append(runClause)
            arguments.append(filter.jobName)
        }
        if let level {
            // A literal, not a bound value: only then can SQLite see that `level = 3` lies within the
            // partial index `logs_by_level` (levels 2 and up).
            clauses.append("level = \(level.rawValue)")
        } else if levelClause, let minLevel = filter.minLevel {
            clauses.append("+level >= ?")
            arguments.append(minLevel.rawValue)
        }
        // `+` keeps SQLite from choosing another index for these: the walk stays in id order.
        if let since = filter.since {
            clauses.append("+created_at >= ?")
            arguments.append(since)
        }
        if let until = filter.until {
            clauses.append("+created_at < ?")
            arguments.append(until)
        }
        if let text = filter.text {
            clauses.append("(instr(message, ?) > 0 OR instr(context, ?) > 0)")
            arguments += [text, text]
        }
        return (clauses.map { $0 + " AND " }.joined(), arguments)
    }

    /// The smallest id whose entry was created at or after `t` (entry times grow with ids); nil when none.
    private func firstID(atOrAfter t: Int64, _ db: Database) throws -> Int64? {
        func first(from id: Int64) throws -> (id: Int64, at: Int64)? {
            try Row.fetchOne(
                db, sql: "SELECT id, created_at FROM logs WHERE id >= ? ORDER BY id LIMIT 1", arguments: [id]
            ).map { ($0["id"], $0["created_at"]) }
        }
        guard
            let last = try Row.fetchOne(db, sql: "SELECT id, created_at FROM logs ORDER BY id DESC LIMIT 1"),
            (last["created_at"] as Int64) >= t, var low = try first(from: 0)?.id
        else { return nil }
        var high: Int64 = last["id"]
        while low < high {
            let mid = low + (high - low) / 2
            if let row = try first(from: mid), row.at >= t { high = mid } else { low = mid + 1 }
        }
        return try first(from: low)?.id
    }

    private func jobNames(_ runs: Set<Int64>, _ db: Database) throws -> [Int64: String] {
        guard !runs.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: runs.count).joined(separator: ",")
        var names: [Int64: String] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT id, job_name FROM runs WHERE id IN (\(marks))", arguments: StatementArguments(Array(runs)))
        {
            names[row["id"]] = row["job_name"]
        }
        return names
    }
}

/// One index walk of a search, read in chunks; `buffer` holds the next entries, the next one last.
private struct Stream {
    let query: (String, [DatabaseValueConvertible?])
    let ascending: Bool
    /// The id the next chunk starts after (exclusive).
    var next: Int64
    /// The end of the id window (exclusive).
    let end: Int64
    /// The levels of a run's stream read as one range of `logs_by_run_level` each (merged by
    /// SQLite in id order); nil: one walk.
    let levels: [Int]?
    var buffer: [(id: Int64, run: Int64)] = []
    var exhausted = false
    /// Entries the next fill asks for.
    var chunk = 1

    /// Reads the next chunk; the one after it is twice as large, up to `limit`.
    mutating func fill(upTo limit: Int, _ db: Database) throws {
        let count = chunk
        chunk = min(limit, chunk * 2)
        let sql = LogSearch.streamSQL(query.0, levels: levels, ascending: ascending)
        var values: [DatabaseValueConvertible?] = []
        for _ in levels ?? [0] { values += query.1 + [next, end] }
        values.append(count)
        let arguments = StatementArguments(values)
        var entries: [(id: Int64, run: Int64)] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() { entries.append((row["id"], row["run_id"])) }
        if let last = entries.last { next = last.id }
        exhausted = entries.count < count
        buffer = entries.reversed()
    }
}
