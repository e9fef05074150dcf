import Foundation
import GRDB
import GRDBSQLite
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// `joblogd copy-store`: moves a SQLite store into a PostgreSQL database, keeping run, log and
/// stage ids (the sequences are moved past them).
///
/// The source is opened read-only. The target's schema is created or migrated first (as a daemon
/// does at start). Each table is copied in batches of ``Options/batchRows`` rows, one transaction
/// each (`COPY … FROM STDIN`), so an interrupted copy leaves every table a prefix of its source in
/// id order; the next copy goes on after the largest id already there. A target that holds rows
/// that are not from this source (other runs under the same ids) is refused before anything is
/// written. At the end the sequences are set and every table's count is compared.
public struct CopyStore: Sendable {
    public struct Options: Sendable {
        /// Rows per batch (one transaction each).
        public var batchRows = 10_000
        /// A batch ends early past this many bytes of `COPY` text (entries may be up to
        /// `--max-line-bytes` long each: a batch's memory stays bounded).
        public var batchBytes = 32 << 20
        /// Stop (with ``CopyStoreError/stopped(batches:)``) after this many committed batches:
        /// how the tests interrupt a copy at a known point.
        public var stopAfterBatches: Int?

        public init() {}
    }

    /// How far the copy is, after each committed batch.
    public struct Progress: Sendable {
        /// The table being copied.
        public var table: String
        /// Rows copied by this run of the command, and the rows it has to copy in all.
        public var copied: Int64
        public var total: Int64
    }

    /// One table's rows after the copy, on both sides.
    public struct TableCount: Sendable {
        public var table: String
        public var source: Int64
        public var target: Int64
    }

    /// What a finished copy did.
    public struct Summary: Sendable {
        /// Runs, entries and stages written by this run (a resumed copy writes only what was missing).
        public var copied: Int64
        /// Rows of the small tables (job names, sessions, pending prunes), written again each time.
        public var refreshed: Int64
        public var counts: [TableCount]
    }

    /// The SQLite migrations whose tables and columns ``CopyTable/all`` knows.
    static let sourceMigrations: Set<String> = [
        "v1-runs-and-logs", "v2-pruned-runs", "v3-rejected-notifications", "v4-one-log-index",
        "v5-search-logs-by-level", "v6-cancel-requests", "v7-insights-stages-jobs-flags",
        "v8-sessions-applied-count", "v9-run-node",
    ]

    /// A prime that keeps the checksums' sums far from overflowing.
    static let checksumModulus: Int64 = 1_000_003

    public let sourcePath: String
    public let target: PostgresStoreURL
    public let options: Options
    let logger: Logger

    public init(sourcePath: String, target: PostgresStoreURL, options: Options = Options(), logger: Logger) {
        self.sourcePath = sourcePath
        self.target = target
        self.options = options
        self.logger = logger
    }

    /// Copies what the target lacks, sets the sequences and compares the counts.
    public func run(progress: @Sendable (Progress) -> Void) async throws -> Summary {
        let source = try openSource()
        let connection = try await connectTarget()
        do {
            let summary = try await copy(from: source, to: connection, progress: progress)
            try? await connection.close()
            return summary
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func copy(
        from source: DatabaseQueue, to connection: PostgresConnection, progress: @Sendable (Progress) -> Void
    ) async throws -> Summary {
        // Every check before the first write: a refused target is left as it was.
        var starts: [String: Int64] = [:]
        var total: Int64 = 0
        for table in CopyTable.all {
            let start = try await resumePoint(table, source: source, connection: connection)
            starts[table.name] = start
            let remaining =
                if case .byID = table.mode { "WHERE id > \(start)" } else { "" }
            total += try await source.read { db in
                try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table.name) \(remaining)") ?? 0
            }
        }
        var copied: Int64 = 0
        var refreshed: Int64 = 0
        var batches = 0
        for table in CopyTable.all {
            // The next batch is read from SQLite while PostgreSQL writes this one.
            var next: Task<Batch, any Error>? = prefetch(table, from: source, after: starts[table.name] ?? 0, offset: 0)
            var offset = 0
            while let reading = next {
                let batch = try await reading.value
                if batch.rows == 0 { break }
                offset += batch.rows
                next = batch.last ? nil : prefetch(table, from: source, after: batch.lastID, offset: offset)
                try await write(batch.text, into: table, connection: connection)
                copied += Int64(batch.rows)
                if case .upsert = table.mode { refreshed += Int64(batch.rows) }
                batches += 1
                progress(Progress(table: table.name, copied: copied, total: total))
                if let stop = options.stopAfterBatches, batches >= stop {
                    throw CopyStoreError.stopped(batches: batches)
                }
            }
        }
        try await moveSequences(source: source, connection: connection)
        let counts = try await verify(source: source, connection: connection)
        let differing = counts.filter { $0.source != $0.target }
        if !differing.isEmpty {
            throw CopyStoreError.mismatch(
                differing.map { "\($0.table): \($0.source) rows in the SQLite store, \($0.target) in PostgreSQL" })
        }
        return Summary(copied: copied - refreshed, refreshed: refreshed, counts: counts)
    }

    // MARK: - Source

    private func openSource() throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: sourcePath) else {
            throw CopyStoreError.source("no SQLite store at \(sourcePath)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "copy-store source"
        let queue: DatabaseQueue
        let applied: Set<String>
        do {
            queue = try DatabaseQueue(path: sourcePath, configuration: configuration)
            applied = try queue.read { db in
                guard try db.tableExists("grdb_migrations") else { return [] }
                return Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
            }
        } catch {
            throw CopyStoreError.source("cannot read the SQLite store \(sourcePath): \(error)")
        }
        if applied.isEmpty {
            throw CopyStoreError.source("\(sourcePath) is not a joblogd store (no migrations recorded)")
        }
        if let unknown = applied.subtracting(Self.sourceMigrations).sorted().first {
            throw CopyStoreError.source(
                "\(sourcePath) was migrated by a newer joblogd (migration \(unknown)); copy it with that version")
        }
        if let missing = Self.sourceMigrations.subtracting(applied).sorted().first {
            throw CopyStoreError.source(
                "\(sourcePath) lacks migration \(missing): start this joblogd on it once (it migrates the store), "
                    + "stop it, then copy")
        }
        return queue
    }

    /// One batch of rows in `COPY` text.
    private struct Batch: Sendable {
        var text: ByteBuffer
        var rows: Int
        var lastID: Int64
        /// The table has no more rows after these.
        var last: Bool
    }

    /// ``read(_:from:after:offset:)`` on a thread of its own.
    private func prefetch(_ table: CopyTable, from source: DatabaseQueue, after: Int64, offset: Int)
        -> Task<Batch, any Error>
    {
        Task.detached { try self.read(table, from: source, after: after, offset: offset) }
    }

    /// One batch of rows from SQLite, in `COPY` text. Read with raw `sqlite3_*` calls: GRDB's
    /// `Row` decodes every value through protocols, which cost most of a copy's time.
    private func read(_ table: CopyTable, from source: DatabaseQueue, after: Int64, offset: Int) throws -> Batch {
        let sql: String
        let binds: [Int64]
        switch table.mode {
        case .byID:
            sql = "SELECT \(table.selectList) FROM \(table.name) WHERE id > ? ORDER BY id LIMIT ?"
            binds = [after, Int64(options.batchRows)]
        case .upsert:
            // Small tables copied whole: paged by position (nothing writes the store meanwhile).
            sql = "SELECT \(table.selectList) FROM \(table.name) ORDER BY \(table.key) LIMIT ? OFFSET ?"
            binds = [Int64(options.batchRows), Int64(offset)]
        }
        let kinds = table.columns.map { $0.kind }
        return try source.read { db in
            guard let connection = db.sqliteConnection else {
                throw CopyStoreError.source("the SQLite store is closed")
            }
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(connection, sql, -1, &statement, nil) == SQLITE_OK else {
                throw sqliteError(connection, table)
            }
            defer { sqlite3_finalize(statement) }
            for (index, value) in binds.enumerated() { sqlite3_bind_int64(statement, Int32(index + 1), value) }
            let text = CopyText()
            var rows = 0
            var lastID = after
            var full = false
            while !full {
                let rc = sqlite3_step(statement)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw sqliteError(connection, table) }
                for (index, kind) in kinds.enumerated() {
                    let column = Int32(index)
                    text.separator(first: index == 0)
                    if sqlite3_column_type(statement, column) == SQLITE_NULL {
                        text.null()
                        continue
                    }
                    switch kind {
                    case .integer: text.integer(sqlite3_column_int64(statement, column))
                    case .boolean: text.boolean(sqlite3_column_int64(statement, column) != 0)
                    case .text, .bytes:
                        let start = sqlite3_column_blob(statement, column)
                        let bytes = UnsafeRawBufferPointer(
                            start: start, count: Int(sqlite3_column_bytes(statement, column)))
                        if kind == .text { text.text(bytes) } else { text.bytes(bytes) }
                    }
                }
                text.endRow()
                if case .byID = table.mode { lastID = sqlite3_column_int64(statement, 0) }
                rows += 1
                full = text.count >= options.batchBytes
            }
            return Batch(text: text.buffer, rows: rows, lastID: lastID, last: !full && rows < options.batchRows)
        }
    }

    private func sqliteError(_ connection: OpaquePointer, _ table: CopyTable) -> CopyStoreError {
        .source("reading \(table.name) from \(sourcePath) failed: \(String(cString: sqlite3_errmsg(connection)))")
    }

    // MARK: - Target

    private func connectTarget() async throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try target.tls()
        } catch {
            throw CopyStoreError.target("\(error)")
        }
        let configuration = PostgresConnection.Configuration(
            host: target.host, port: target.port, username: target.user, password: target.password,
            database: target.database, tls: tls)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger
            ).get()
        } catch {
            throw CopyStoreError.target(
                "cannot reach PostgreSQL at \(target.redacted): \(PostgresStoreError.reason(error))")
        }
        do {
            try await PostgresSchema.migrate(connection, logger: logger)
        } catch {
            try? await connection.close()
            throw CopyStoreError.target(
                "cannot create the schema in \(target.redacted): \(PostgresStoreError.reason(error))")
        }
        return connection
    }

    /// Where a table's copy starts: after the largest id the target holds (checked to be the
    /// source's rows up to that id), or 0 for the tables copied whole.
    private func resumePoint(_ table: CopyTable, source: DatabaseQueue, connection: PostgresConnection)
        async throws -> Int64
    {
        guard case .byID = table.mode else { return 0 }
        let time = table.name == "logs" ? "created_at" : "started_at"
        let m = Self.checksumModulus
        let there = try await one(
            connection,
            """
            SELECT count(*)::bigint, coalesce(max(id), 0)::bigint, coalesce(sum(id % \(m)), 0)::bigint,
                coalesce(sum(\(time) % \(m)), 0)::bigint FROM \(table.name)
            """)
        let (count, maxID, idSum, timeSum) = (there[0], there[1], there[2], there[3])
        if count == 0 { return 0 }
        let here = try await source.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*), coalesce(max(id), 0), coalesce(sum(id % \(m)), 0),
                        coalesce(sum(\(time) % \(m)), 0), (SELECT coalesce(max(id), 0) FROM \(table.name))
                    FROM \(table.name) WHERE id <= ?
                    """, arguments: [maxID])
            guard let row else { return [Int64](repeating: 0, count: 5) }
            return (0..<5).map { (row[$0] as Int64?) ?? 0 }
        }
        if maxID > here[4] {
            throw CopyStoreError.foreignRows(
                "the PostgreSQL database holds \(table.name) up to id \(maxID), past this store's last (\(here[4])): "
                    + "it is not a copy of \(sourcePath); copy into an empty database")
        }
        if [count, maxID, idSum, timeSum] != Array(here[0..<4]) {
            throw CopyStoreError.foreignRows(
                "the PostgreSQL database holds \(table.name) that are not from \(sourcePath) "
                    + "(ids up to \(maxID): \(count) rows there, \(here[0]) here, or their contents differ); "
                    + "copy into an empty database")
        }
        if table.name == "runs" {
            try await checkRun(maxID, source: source, connection: connection)
        }
        logger.info(
            "resuming a copy", metadata: ["table": "\(table.name)", "after": "\(maxID)", "rows": "\(count)"])
        return maxID
    }

    /// The last run already copied has the source's job name and start time.
    private func checkRun(_ id: Int64, source: DatabaseQueue, connection: PostgresConnection) async throws {
        var there: (String, Int64)?
        for try await row in try await connection.query(
            "SELECT job_name, started_at FROM runs WHERE id = \(id)", logger: logger
        ).decode((String, Int64).self) {
            there = row
        }
        let here = try await source.read { db in
            try Row.fetchOne(db, sql: "SELECT job_name, started_at FROM runs WHERE id = ?", arguments: [id]).map {
                (PostgresTransaction.text($0[0] as String), $0[1] as Int64)
            }
        }
        guard let there, let here, there == here else {
            throw CopyStoreError.foreignRows(
                "the PostgreSQL database's run \(id) is not the run \(id) of \(sourcePath); copy into an empty database"
            )
        }
    }

    private func write(_ text: ByteBuffer, into table: CopyTable, connection: PostgresConnection) async throws {
        do {
            try await connection.query("BEGIN", logger: logger)
            switch table.mode {
            case .byID:
                try await connection.copyFrom(
                    table: table.name, columns: table.columns.map { $0.name }, logger: logger
                ) { writer in try await writer.write(text) }
            case .upsert(let update):
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "CREATE TEMP TABLE copy_in (LIKE \(table.name)) ON COMMIT DROP"), logger: logger)
                try await connection.copyFrom(
                    table: "copy_in", columns: table.columns.map { $0.name }, logger: logger
                ) { writer in try await writer.write(text) }
                let conflict = update.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(update)"
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO \(table.name) (\(table.columnList)) SELECT \(table.columnList) FROM copy_in
                            ON CONFLICT (\(table.key)) \(conflict)
                            """), logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw CopyStoreError.target(
                "writing \(table.name) into \(target.redacted) failed: \(PostgresStoreError.reason(error))")
        }
    }

    /// The sequences past every id copied: new runs, entries and stages continue after them. Runs
    /// continue after SQLite's own counter too (AUTOINCREMENT: a pruned run's id is never reused).
    private func moveSequences(source: DatabaseQueue, connection: PostgresConnection) async throws {
        let sqliteRuns = try await source.read { db in
            try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'runs'") ?? 0
        }
        for table in CopyTable.all {
            guard case .byID(let sequence) = table.mode else { continue }
            let floor = table.name == "runs" ? sqliteRuns : 0
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT setval('\(sequence)', greatest(\(floor), max(id), (SELECT last_value FROM \(sequence))))
                        FROM \(table.name) HAVING greatest(\(floor), max(id)) > 0
                        """), logger: logger)
        }
    }

    /// Every table's rows on both sides.
    private func verify(source: DatabaseQueue, connection: PostgresConnection) async throws -> [TableCount] {
        var counts: [TableCount] = []
        for table in CopyTable.all {
            let here = try await source.read { db in
                try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0
            }
            let there = try await one(connection, "SELECT count(*)::bigint FROM \(table.name)")[0]
            counts.append(TableCount(table: table.name, source: here, target: there))
        }
        return counts
    }

    /// The integers of a one-row answer.
    private func one(_ connection: PostgresConnection, _ sql: String) async throws -> [Int64] {
        do {
            var values: [Int64] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                values = try row.makeRandomAccess().map { try $0.decode(Int64.self) }
            }
            return values
        } catch {
            throw CopyStoreError.target("reading \(target.redacted) failed: \(PostgresStoreError.reason(error))")
        }
    }
}
