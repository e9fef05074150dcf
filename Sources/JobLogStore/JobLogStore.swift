import Foundation
import JobLogJSON
import JobLogModel
import Logging
import Synchronization

/// The store: one writer thread that groups every connection's writes into transactions (group
/// commit) on a backend (``SQLiteBackend``, the embedded default), and concurrent reads.
///
/// It knows nothing of sockets or JSON-RPC. Writes are queued with ``submit(_:)``
/// and acknowledged through their completion once committed; reads run on the backend's
/// readers, never on the writer thread nor on an event loop.
public final class JobLogStore: Sendable {
    let backend: any StoreBackend
    private let queue: WriteQueue
    private let writer: any WriterThread
    private let logger: Logger
    public let configuration: StoreConfiguration
    /// The daemon's permission policy (who may write to a run, who may administer).
    public var permissions: Permissions { configuration.permissions }
    private let listeners = ListenerBox()
    private let logEventsBox: LogEventsFlag
    let heartbeat = WriterHeartbeat()

    /// Opens (creating if needed) and migrates the SQLite database at `configuration.path`, then
    /// starts the writer.
    public convenience init(configuration: StoreConfiguration, logger: Logger) throws {
        try self.init(
            backend: SQLiteBackend(configuration: configuration, logger: logger), configuration: configuration,
            logger: logger)
    }

    /// A store on `backend`; starts the writer.
    public init<Backend: StoreBackend>(backend: Backend, configuration: StoreConfiguration, logger: Logger) {
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
        queue = WriteQueue(
            maxBatch: configuration.maxBatch, maxQueued: configuration.maxQueued,
            flushIntervalMs: configuration.flushIntervalMs)
        let listeners = self.listeners
        let box = LogEventsFlag()
        logEventsBox = box
        let writer = BatchWriter(
            backend: backend, queue: queue, configuration: configuration, logger: logger, heartbeat: heartbeat,
            logEventLevel: { box.level }, onCommit: { events in listeners.notify(events) })
        self.writer = writer
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
    public var commitCount: Int { writer.commitCount }

    /// Checks that the database path still names the file the store opened (cheap: one `stat`).
    /// Once it does not (deleted or replaced), every later write fails with the cause.
    public func verifyFileIdentity() {
        if let reason = backend.verifyLocation() {
            logger.critical("database file lost", metadata: ["db": "\(configuration.path)", "error": "\(reason)"])
            // A write reaches the writer's connection, which then empties its WAL into the old file.
            Task { await submit([WriteOp(.vacuum(pages: 1))]) }
        }
    }

    // MARK: - Reads

    /// One run, or nil.
    public func run(_ id: Int64) async throws -> RunRecord? { try await backend.run(id) }

    /// A page of a run's log entries in id order; nil when the run does not exist.
    /// Without `afterId`: the newest `limit` entries, or with `beforeId` the newest `limit`
    /// whose id is smaller (a page back). With `afterId`: the first `limit` after it.
    public func logs(run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?, beforeId: Int64? = nil)
        async throws -> [LogRecord]?
    {
        try await backend.logs(run: run, minLevel: minLevel, limit: limit, afterId: afterId, beforeId: beforeId)
    }

    /// Runs, newest first; with `node`, only the runs that daemon (`--node-name`) started.
    public func listRuns(
        jobName: String?, status: RunStatus?, node: String? = nil, limit: Int, beforeId: Int64?
    ) async throws -> [RunRecord] {
        try await backend.listRuns(jobName: jobName, status: status, node: node, limit: limit, beforeId: beforeId)
    }

    /// The runs still RUNNING, with what the liveness reaper needs.
    public func runningRuns() async throws -> [RunOwner] { try await backend.runningRuns() }

    /// The owner facts of one RUNNING run (pid, its recorded start time), nil when it is not RUNNING.
    public func runningOwner(of id: Int64) async throws -> RunOwner? { try await backend.runningOwner(of: id) }

    /// How many runs are RUNNING.
    public func runningCount() async throws -> Int { try await backend.runningCount() }

    /// "ok" when the store is sound (SQLite: `PRAGMA integrity_check`).
    public func integrityCheck() async throws -> String { try await backend.integrityCheck() }

    /// Log entries across runs (`searchLogs`), in id order: the newest `limit` matching
    /// entries, or with `afterId` the first `limit` after it. Nil when `filter.runID` names no run.
    public func searchLogs(_ filter: LogSearchFilter) async throws -> [SearchedLog]? {
        try await backend.searchLogs(filter)
    }

    /// A run's stage timeline, oldest first; nil when the run does not exist.
    public func stages(run: Int64) async throws -> [StageSpan]? { try await backend.stages(run: run) }

    /// Job names, the most recently started first; `prefix` filters by the start of the name.
    public func listJobs(prefix: String?, limit: Int) async throws -> [JobSummary] {
        try await backend.listJobs(prefix: prefix, limit: limit)
    }

    /// Statistics over the last `last` finished runs of `job`.
    public func jobStats(job: String, last: Int) async throws -> JobStats {
        try await backend.jobStats(job: job, last: last)
    }

    /// A run against `baseline` (another run), or against the median of the last 20 SUCCESS runs
    /// of its job. Nil when the run does not exist; throws unknownRun for a missing baseline.
    public func compare(run id: Int64, baseline baselineID: Int64?) async throws -> RunComparison? {
        try await backend.compare(run: id, baseline: baselineID)
    }

    /// The median duration of the last 20 SUCCESS runs of `job` before `run`, when it has at least 5.
    public func usualDuration(job: String, before run: Int64) async throws -> Int64? {
        try await backend.usualDuration(job: job, before: run)
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

    /// The owner facts; the flags' fields start empty (another backend reads them too).
    public init(runID: Int64, pid: Int64?, startTime: Int64?, heartbeatTimeoutMs: Int64?, lastHeartbeatAt: Timestamp) {
        self.runID = runID
        self.pid = pid
        self.startTime = startTime
        self.heartbeatTimeoutMs = heartbeatTimeoutMs
        self.lastHeartbeatAt = lastHeartbeatAt
    }
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
