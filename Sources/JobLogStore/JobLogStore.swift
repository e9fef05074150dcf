import Foundation
import GRDB
import JobLogJSON
import JobLogModel
import Logging
import Synchronization

/// The store: one SQLite database (WAL), one writer thread that groups every
/// connection's writes into transactions, and concurrent readers.
///
/// It knows nothing of sockets or JSON-RPC. Writes are queued with ``submit(_:)``
/// and acknowledged through their completion once committed; reads run on
/// GRDB's reader pool, never on the writer thread nor on an event loop.
public final class JobLogStore: Sendable {
    let pool: DatabasePool
    /// One reader kept for short reads (a run, a page of runs, the liveness reaper's list), so
    /// long reads on the pool never make them wait.
    private let shortReader: DatabaseQueue
    private let queue: WriteQueue
    private let writer: BatchWriter
    private let logger: Logger
    public let configuration: StoreConfiguration
    /// The daemon's permission policy (who may write to a run, who may administer).
    public var permissions: Permissions { configuration.permissions }
    private let listeners = ListenerBox()
    private let logEventsBox: LogEventsFlag
    private let fileGuard: DatabaseFileGuard
    let heartbeat = WriterHeartbeat()

    /// Opens (creating if needed) and migrates the database, then starts the writer.
    public init(configuration: StoreConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.maximumReaderCount = 4
        let syncFull = configuration.syncFull
        config.prepareDatabase { db in
            try db.execute(sql: syncFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            // Checkpoint the WAL every ~16 MB instead of every 4 MB: fewer stalls of the writer.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
        }
        let directory = (configuration.path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do {
            // A new file gets incremental auto-vacuum (so pruning can return space) before WAL mode
            // is switched on: SQLite fixes auto_vacuum when the first table is created.
            let size = (try? FileManager.default.attributesOfItem(atPath: configuration.path)[.size] as? Int) ?? nil
            if size == nil || size == 0 {
                let queue = try DatabaseQueue(path: configuration.path)
                try queue.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                    try db.execute(sql: "VACUUM")
                }
                try queue.close()
            }
            var readOnly = false
            do {
                pool = try DatabasePool(path: configuration.path, configuration: config)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
                // The file cannot be written now: serve reads; writes are refused until it can.
                var readOnlyConfig = config
                readOnlyConfig.readonly = true
                pool = try DatabasePool(path: configuration.path, configuration: readOnlyConfig)
                readOnly = true
            }
            let migrator = Migrations.migrator
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError.incompatible(
                    "the database \(configuration.path) was written by a newer joblogd; refusing to use it")
            }
            if readOnly {
                guard try pool.read({ try migrator.hasCompletedMigrations($0) }) else {
                    throw StoreError.incompatible(
                        "the database \(configuration.path) is read-only and its schema needs an update")
                }
                logger.warning(
                    "the database is read-only: serving reads, refusing writes until it is writable",
                    metadata: ["db": "\(configuration.path)"])
            } else {
                try migrator.migrate(pool)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.incompatible("cannot open the database \(configuration.path): \(error)")
        }
        fileGuard = DatabaseFileGuard(path: configuration.path)
        do {
            var shortConfig = config
            shortConfig.readonly = true
            shortReader = try DatabaseQueue(path: configuration.path, configuration: shortConfig)
        } catch {
            throw StoreError.incompatible("cannot open the database \(configuration.path): \(error)")
        }
        queue = WriteQueue(
            maxBatch: configuration.maxBatch, maxQueued: configuration.maxQueued,
            flushIntervalMs: configuration.flushIntervalMs)
        let listeners = self.listeners
        let box = LogEventsFlag()
        logEventsBox = box
        writer = BatchWriter(
            path: configuration.path, connectionConfiguration: config, queue: queue, configuration: configuration,
            fileGuard: fileGuard, logger: logger, heartbeat: heartbeat,
            logEventLevel: { box.level }, onCommit: { events in listeners.notify(events) })
        writer.start()
    }

    // MARK: - Writes

    /// Queues writes, in order. Suspends while the queue is full (back-pressure).
    /// After ``close()`` every write completes with `.shuttingDown`.
    public func submit(_ ops: [WriteOp]) async {
        if await queue.push(ops) { return }
        for op in ops { op.completion?(.failed(.shuttingDown)) }
    }

    /// Queues writes in order without waiting (for an event loop). Returns false when the
    /// queue is over its limit: stop producing until ``whenSpaceAvailable(_:)`` calls back.
    /// After ``close()`` every write completes with `.shuttingDown`.
    public func submitNow(_ ops: [WriteOp]) -> Bool {
        let (accepted, full) = queue.pushNow(ops)
        if !accepted {
            for op in ops { op.completion?(.failed(.shuttingDown)) }
        }
        return !full
    }

    /// Calls `callback` (on any thread) once the write queue has room.
    public func whenSpaceAvailable(_ callback: @escaping @Sendable () -> Void) {
        queue.onSpace(callback)
    }

    /// Queues one write and waits until it is committed.
    public func write(_ command: WriteCommand, callerUid: UInt32? = nil) async -> WriteOutcome {
        await withCheckedContinuation { (c: CheckedContinuation<WriteOutcome, Never>) in
            let op = WriteOp(command, callerUid: callerUid) { c.resume(returning: $0) }
            Task { await submit([op]) }
        }
    }

    /// Registers a function called on the writer thread after each commit with what it changed.
    public func onCommit(_ listener: @escaping @Sendable ([CommittedEvent]) -> Void) {
        listeners.add(listener)
    }

    /// The lowest level of log entry that commits describe (for watchers); nil, the
    /// default, builds no log events at all, so ingest pays nothing for them.
    public var logEventLevel: LogLevel? {
        get { logEventsBox.level }
        set { logEventsBox.level = newValue }
    }

    /// Drains the queue, commits it and stops the writer. Idempotent.
    public func close() {
        queue.stop()
        writer.join()
    }

    /// Writes queued and not yet taken by the writer.
    public var queuedWrites: Int { queue.depth }

    /// Transactions committed since the store opened.
    public var commitCount: Int { writer.commits.load(ordering: .relaxed) }

    /// Checks that the database path still names the file the store opened (cheap: one `stat`).
    /// Once it does not (deleted or replaced), every later write fails with the cause.
    public func verifyFileIdentity() {
        if let reason = fileGuard.verify() {
            logger.critical("database file lost", metadata: ["db": "\(configuration.path)", "error": "\(reason)"])
            // A write reaches the writer's connection, which then empties its WAL into the old file.
            Task { await submit([WriteOp(.vacuum(pages: 1))]) }
        }
    }

    // MARK: - Reads

    /// One run, or nil.
    public func run(_ id: Int64) async throws -> RunRecord? {
        try await shortReader.read { db in
            try Row.fetchOne(db, sql: "SELECT \(RunRow.columns) FROM runs WHERE id = ?", arguments: [id]).map(
                RunRow.record)
        }
    }

    /// A page of a run's log entries in id order; nil when the run does not exist.
    /// Without `afterId`: the newest `limit` entries, or with `beforeId` the newest `limit`
    /// whose id is smaller (a page back). With `afterId`: the first `limit` after it.
    /// Index walks only (see ``LogQuery``), within the read budget.
    public func logs(run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?, beforeId: Int64? = nil)
        async throws -> [LogRecord]?
    {
        let budget = configuration.readBudgetMs
        return try await pool.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run]) != nil else {
                return nil
            }
            return try ReadBudget.run(db, milliseconds: budget) {
                try LogQuery.fetch(
                    db, run: run, minLevel: minLevel, limit: limit, afterId: afterId, beforeId: beforeId)
            }
        }
    }

    /// Runs, newest first.
    public func listRuns(jobName: String?, status: RunStatus?, limit: Int, beforeId: Int64?) async throws -> [RunRecord]
    {
        try await shortReader.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let jobName {
                clauses.append("job_name = ?")
                arguments += [jobName]
            }
            if let status {
                clauses.append("status = ?")
                arguments += [status.rawValue]
            }
            if let beforeId {
                clauses.append("id < ?")
                arguments += [beforeId]
            }
            let whereClause = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
            arguments += [limit]
            return try Row.fetchAll(
                db, sql: "SELECT \(RunRow.columns) FROM runs\(whereClause) ORDER BY id DESC LIMIT ?",
                arguments: arguments
            ).map(RunRow.record)
        }
    }

    /// The runs still RUNNING, with what the liveness reaper needs.
    public func runningRuns() async throws -> [RunOwner] {
        try await shortReader.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(RunRow.ownerColumns), job_name, started_at, stage, stalled_since, stall_after_ms, slow
                    FROM runs WHERE status = 'RUNNING'
                    """
            ).map { row in
                var owner = RunRow.owner(row)
                owner.jobName = row["job_name"]
                owner.startedAt = Timestamp(milliseconds: row["started_at"])
                owner.currentStage = row["stage"]
                owner.stalledSince = (row["stalled_since"] as Int64?).map(Timestamp.init(milliseconds:))
                owner.stallAfterMs = row["stall_after_ms"]
                owner.slow = row["slow"]
                return owner
            }
        }
    }

    /// How many runs are RUNNING.
    public func runningCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE status = 'RUNNING'") ?? 0
        }
    }

    /// Runs `PRAGMA integrity_check`; "ok" when the file is sound.
    public func integrityCheck() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}

/// The liveness facts of one RUNNING run.
public struct RunOwner: Sendable {
    public var runID: Int64
    public var pid: Int64?
    public var startTime: Int64?
    public var heartbeatTimeoutMs: Int64?
    public var lastHeartbeatAt: Timestamp
    // What the stalled and slow flags need.
    public var jobName = ""
    public var startedAt = Timestamp(milliseconds: 0)
    public var currentStage: String?
    public var stalledSince: Timestamp?
    public var stallAfterMs: Int64?
    public var slow = false
}

/// A level read by the writer thread once per transaction.
final class LogEventsFlag: Sendable {
    /// The raw value of the level, or `nobody` (no watcher wants log events).
    private let raw = Atomic<Int>(LogEventsFlag.nobody)
    private static let nobody = -1

    var level: LogLevel? {
        get { LogLevel(rawValue: raw.load(ordering: .relaxed)) }
        set { raw.store(newValue?.rawValue ?? Self.nobody, ordering: .relaxed) }
    }
}

/// Commit listeners, called on the writer thread.
final class ListenerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var listeners: [@Sendable ([CommittedEvent]) -> Void] = []

    func add(_ l: @escaping @Sendable ([CommittedEvent]) -> Void) {
        lock.withLock { listeners.append(l) }
    }

    func notify(_ events: [CommittedEvent]) {
        let current = lock.withLock { listeners }
        for l in current { l(events) }
    }
}

extension JobLogStore {
    /// Log entries across runs (`searchLogs`), in id order: the newest `limit` matching
    /// entries, or with `afterId` the first `limit` after it.
    /// Nil when `filter.runID` names no run.
    public func searchLogs(_ filter: LogSearchFilter) async throws -> [SearchedLog]? {
        try await pool.read { db in
            if let run = filter.runID,
                try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run]) == nil
            {
                return nil
            }
            return try LogSearch(filter: filter).run(db)
        }
    }
}
