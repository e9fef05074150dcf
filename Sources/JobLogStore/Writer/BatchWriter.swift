import Foundation
import GRDB
import JobLogJSON
import JobLogModel
import Logging
import Synchronization

/// The single writer: a dedicated thread that takes batches from the queue and
/// applies each as one transaction (group commit).
///
/// Run rows are kept in memory while they are written to; progress and counters
/// change only there, and each dirty run row is written once per transaction.
/// Completions run after the commit, so an acknowledgement always means durable.
///
/// It writes through a connection of its own, dropped after a failed transaction and
/// reopened for the next one: a connection that SQLite opened read-only (the file was
/// not writable then) would otherwise refuse every write after the file became writable.
final class BatchWriter: @unchecked Sendable {
    private let path: String
    private let connectionConfiguration: Configuration
    private let queue: WriteQueue
    private let configuration: StoreConfiguration
    private let logger: Logger
    private let finished = DispatchSemaphore(value: 0)
    private let onCommit: @Sendable ([CommittedEvent]) -> Void
    private let fileGuard: DatabaseFileGuard
    /// Transactions committed since start (read by status reports).
    let commits = Atomic<Int>(0)
    private let heartbeat: WriterHeartbeat

    // Owned by the writer thread only (so no dynamic exclusivity checks on the hot ones).
    @exclusivity(unchecked) private var runs: [Int64: RunState] = [:]
    /// Runs changed in this transaction (each once; ``RunState/isDirty`` says whether it is listed).
    @exclusivity(unchecked) private var dirty: [RunState] = []
    /// The run of the previous write: consecutive writes to one run skip the dictionary.
    @exclusivity(unchecked) private var lastState: RunState?
    private var connection: DatabaseQueue?
    private var inserter: LogInserter?
    private var updater: RunUpdater?
    private var failing = false
    private var checkpointedAfterLoss = false
    @exclusivity(unchecked) private var events: [CommittedEvent] = []
    /// Runs whose progress changed in this transaction: one progress event each, at commit.
    /// (``RunState/progressChanged`` says whether a run is listed.)
    @exclusivity(unchecked) private var progressChanged: [RunState] = []
    /// Read once per batch from the store: log events are built only for entries at or above
    /// the lowest level a watcher asked for (6: nobody watches logs).
    /// The lowest level watchers want log events for; nil: none (ingest builds no log events).
    private var logEventLevel: LogLevel?
    private let logEventLevelSource: @Sendable () -> LogLevel?
    private var rejectionLog: RejectionLog
    /// Notifications refused in the current transaction: reported to their connections and
    /// logged once it committed.
    private var rejections: [(tracker: CommitTracker?, run: Int64?, reason: String)] = []
    /// Client sessions' committed counts (`hello`), written in the same transaction as the effects.
    private let sessions = SessionBook()

    init(
        path: String, connectionConfiguration: Configuration, queue: WriteQueue, configuration: StoreConfiguration,
        fileGuard: DatabaseFileGuard, logger: Logger, heartbeat: WriterHeartbeat = WriterHeartbeat(),
        logEventLevel: @escaping @Sendable () -> LogLevel?,
        onCommit: @escaping @Sendable ([CommittedEvent]) -> Void
    ) {
        self.logEventLevelSource = logEventLevel
        self.path = path
        self.connectionConfiguration = connectionConfiguration
        self.queue = queue
        self.configuration = configuration
        self.logger = logger
        self.rejectionLog = RejectionLog(logger: logger)
        self.onCommit = onCommit
        self.fileGuard = fileGuard
        self.heartbeat = heartbeat
    }

    func start() {
        let thread = Thread { [self] in
            // Each return to the queue is a heartbeat (an empty batch: the idle writer's wake-up).
            let wake = configuration.heartbeatIntervalMs.map { Double($0) / 1000 }
            while let batch = queue.takeBatch(wakeAfter: wake) {
                heartbeat.beat()
                if !batch.isEmpty { process(batch) }
            }
            inserter = nil
            updater = nil
            connection = nil
            finished.signal()
        }
        thread.name = "joblogd-writer"
        thread.start()
    }

    /// Waits until the thread has drained the queue and stopped.
    func join() { finished.wait() }

    // MARK: - One transaction

    private func process(_ batch: [WriteOp]) {
        // Outcomes are kept only for writes that are answered or failed (in batch order): a
        // notification that succeeded needs none.
        var outcomes: [(index: Int, outcome: WriteOutcome)] = []
        var transactionFailure: String?
        logEventLevel = logEventLevelSource()
        // A connection whose notification was lost to a store failure has its later writes held back
        // (not applied) until one of its requests has reported the loss: what is stored of a connection
        // stays a gap-free prefix of what it sent, and no answer acknowledges a lost notification.
        // One walk, by index (no copy of a write), the loss flag read once per run of one connection's writes.
        // `held[i]`: why write i is not applied (nil: it is).
        var held: [String?] = []
        var needsTransaction = false
        var lastTracker: CommitTracker?
        var lastLoss: String?
        for i in batch.indices {
            if let link = batch[i].session, link.broken {
                // A session that lost a write: nothing more of it (not even a barrier's answer) until hello.
                if held.isEmpty { held = [String?](repeating: nil, count: batch.count) }
                held[i] = "this connection's session lost a write; send hello again"
                continue
            }
            if let tracker = batch[i].tracker {
                if tracker !== lastTracker {
                    lastTracker = tracker
                    lastLoss = tracker.unreportedLoss
                }
                if let lost = lastLoss {
                    if held.isEmpty { held = [String?](repeating: nil, count: batch.count) }
                    held[i] = "an earlier notification on this connection was not stored (\(lost))"
                    sessions.lost(batch[i])
                    if batch[i].completion != nil {
                        tracker.clearLoss()
                        lastLoss = nil
                        lastTracker = nil
                    }
                    continue
                }
            }
            if !needsTransaction, !batch[i].command.isBarrier { needsTransaction = true }
        }
        if needsTransaction {
            do {
                try writeConnection().writeWithoutTransaction { db in
                    if inserter == nil { inserter = try LogInserter(db) }
                    if updater == nil { updater = try RunUpdater(db) }
                    try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                    do {
                        for i in batch.indices {
                            if !held.isEmpty, held[i] != nil { continue }
                            let (outcome, fresh) = try applyOnce(batch[i], db)
                            if batch[i].completion != nil {
                                outcomes.append((i, outcome))
                            } else if !fresh {
                                continue  // a session's resend already applied (or refused): not judged again
                            } else if case .failed = outcome {
                                outcomes.append((i, outcome))
                                try noteIfRejected(batch[i], outcome, db)
                            } else if case .reject = batch[i].command {
                                try noteIfRejected(batch[i], outcome, db)
                            }
                        }
                        let end = batch.last?.receivedAt ?? .now()
                        for state in progressChanged where state.progressChanged {
                            state.progressChanged = false
                            let r = state.record
                            emit(r, .progress(current: r.progressCurrent, total: r.progressTotal), at: end)
                        }
                        progressChanged.removeAll(keepingCapacity: true)
                        if let updater {
                            for state in dirty { try updater.update(state.record) }
                        }
                        try sessions.persist(db)
                        try db.cachedStatement(sql: "COMMIT").execute()
                    } catch {
                        try? db.execute(sql: "ROLLBACK")
                        throw error
                    }
                }
                for state in dirty { state.isDirty = false }
                dirty.removeAll(keepingCapacity: true)
                sessions.committed()
                commits.add(1, ordering: .relaxed)
                for r in rejections {
                    r.tracker?.noteRejection(r.reason)
                    rejectionLog.note(r.reason, run: r.run)
                }
                rejections.removeAll(keepingCapacity: true)
                if failing {
                    failing = false
                    logger.notice("store writable again")
                }
                trimCache()
            } catch {
                // Nothing of this batch is stored: forget the in-memory state and fail every write in it.
                runs.removeAll()
                lastState = nil
                dirty.removeAll()
                events.removeAll()
                progressChanged.removeAll()
                rejections.removeAll()
                sessions.rolledBack()
                inserter = nil
                updater = nil
                connection = nil
                let reason = Self.reason(error)
                outcomes.removeAll()
                transactionFailure = reason
                if !failing {
                    failing = true
                    logger.error("store write failed", metadata: ["error": "\(reason)", "writes": "\(batch.count)"])
                }
                for i in batch.indices where held.isEmpty || held[i] == nil {
                    sessions.lost(batch[i])
                    // In order: a lost notification marks its connection, a request reports the loss.
                    if batch[i].completion == nil {
                        batch[i].tracker?.markLoss(reason)
                    } else {
                        batch[i].tracker?.clearLoss()
                    }
                }
            }
        }
        if !events.isEmpty {
            onCommit(events)
            events.removeAll(keepingCapacity: true)
        }
        var next = 0
        var pendingEnd: (tracker: CommitTracker, count: Int)?
        defer { if let pending = pendingEnd { pending.tracker.end(pending.count) } }
        for i in batch.indices {
            var outcome = WriteOutcome.done
            if next < outcomes.count, outcomes[next].index == i {
                outcome = outcomes[next].outcome
                next += 1
            } else if !held.isEmpty, let why = held[i] {
                outcome = .failed(.unavailable(why))
            } else if let reason = transactionFailure {
                outcome = .failed(.unavailable(reason))
            }
            batch[i].completion?(outcome)
            // One atomic per run of consecutive writes from the same connection.
            if let t = batch[i].tracker {
                if let pending = pendingEnd, pending.tracker !== t {
                    pending.tracker.end(pending.count)
                    pendingEnd = (t, 1)
                } else {
                    pendingEnd = (t, (pendingEnd?.count ?? 0) + 1)
                }
            }
        }
    }

    /// The write connection, opened when there is none. Never creates the file: a database
    /// removed under the daemon is an error, not a new empty file.
    private func writeConnection() throws -> DatabaseQueue {
        if let lost = fileGuard.lostReason {
            // Move what the WAL holds into the file that was opened and empty it, so that no later
            // open of the path (a new file put there) replays our frames onto another database.
            if let connection, !checkpointedAfterLoss {
                checkpointedAfterLoss = true
                try? connection.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            }
            throw StoreError.unavailable(lost)
        }
        if let connection { return connection }
        var st = stat()
        if stat(path, &st) != 0 {
            let code = errno
            if code == ENOENT { throw StoreError.unavailable("the database file \(path) is gone") }
            throw StoreError.unavailable("cannot reach the database file \(path): \(String(cString: strerror(code)))")
        }
        let opened = try DatabaseQueue(path: path, configuration: connectionConfiguration)
        connection = opened
        return opened
    }

    /// A notification gets no answer: when it was refused (not lost to a store failure), it is
    /// counted on its run, unless it names none or one the caller may not write to.
    private func noteIfRejected(_ op: WriteOp, _ outcome: WriteOutcome, _ db: Database) throws {
        let run: Int64?
        let cause: String
        var countOnRun = true
        switch (op.command, outcome) {
        case (.reject(let r, _, let why), _):
            run = r
            cause = why
        case (_, .failed(let error)):
            switch error {
            case .unavailable, .shuttingDown, .incompatible, .tooExpensive: return
            case .unknownRun: countOnRun = false
            case .notPermitted: countOnRun = false
            case .runFinished, .overflow: break
            }
            run = op.command.runID
            cause = Self.rejectionCause(error)
        default:
            return
        }
        let reason = String(Self.prefix("\(op.command.methodName): \(cause)", maxBytes: 300))
        if countOnRun, let run, let state = try load(run, db), permission(op, state) == nil {
            state.record.rejectedCount += 1
            state.record.lastRejection = reason
            markDirty(state)
        }
        rejections.append((op.tracker, run, reason))
    }

    /// A store error as a rejection reason: the cause, without the run's id.
    private static func rejectionCause(_ error: StoreError) -> String {
        switch error {
        case .unknownRun: "unknown run"
        case .runFinished(_, let status): "run already finished (\(status.rawValue))"
        case .notPermitted: "not permitted"
        case .overflow(let field): "\(field) would overflow"
        default: error.description
        }
    }

    /// At most `maxBytes` of UTF-8, cut at a character boundary.
    static func prefix(_ s: String, maxBytes: Int) -> Substring {
        guard s.utf8.count > maxBytes else { return Substring(s) }
        var end = s.startIndex
        var used = 0
        for c in s {
            used += c.utf8.count
            if used > maxBytes { break }
            end = s.index(after: end)
        }
        return s[..<end]
    }

    private static func reason(_ error: Error) -> String {
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_FULL: return "disk full"
            case .SQLITE_READONLY: return "database is read-only"
            case .SQLITE_BUSY, .SQLITE_LOCKED: return "database is locked"
            case .SQLITE_IOERR: return "I/O error"
            default: return e.message ?? "\(e.resultCode)"
            }
        }
        if case .unavailable(let why)? = error as? StoreError { return why }
        if let e = error as? StoreError { return e.description }
        return "\(error)"
    }

    private func trimCache() {
        guard runs.count > configuration.maxCachedRuns else { return }
        runs = runs.filter { $0.value.record.status == .running }
        if runs.count > configuration.maxCachedRuns { runs.removeAll() }
        lastState = nil
    }

    // MARK: - Applying one write

    /// Applies a write unless its session already has (a resend racing a commit), counting it in its
    /// session. `fresh` is false when it was not applied for that reason (skipped, or refused).
    private func applyOnce(_ op: WriteOp, _ db: Database) throws -> (WriteOutcome, fresh: Bool) {
        guard op.session != nil else { return (try apply(op, db), true) }
        let admission = try sessions.admit(op, db)
        switch admission {
        case .skip(let outcome), .refuse(let outcome):
            return (outcome, false)
        case .plain, .apply:
            break
        }
        let outcome = try apply(op, db)
        if case .apply(let entry, let seq) = admission {
            sessions.applied(
                entry, seq: seq, outcome: outcome, isRequest: op.completion != nil, at: op.receivedAt.milliseconds)
        }
        return (outcome, true)
    }

    /// Applies one write inside the open transaction. Validation failures are
    /// outcomes; SQL errors are thrown and fail the whole batch.
    private func apply(_ op: WriteOp, _ db: Database) throws -> WriteOutcome {
        let now = op.receivedAt
        switch op.command {
        case .barrier, .reject:
            return .done
        case .hello(let link):
            return try sessions.hello(link, at: now.milliseconds, db)
        case .forgetSessions(let before):
            return .forgotten(try sessions.forget(before: before.milliseconds, db))
        case .startRun(let new):
            return try startRun(new, at: now, db)
        case .prune(let cutoff, let status, let maxRows):
            return try prune(before: cutoff, status: status, maxRows: maxRows, db)
        case .vacuum(let pages):
            try db.execute(sql: "PRAGMA incremental_vacuum(\(max(1, pages)))")
            return .vacuumed(freePagesLeft: try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        case .logSummary(let id):
            // Allowed on a finished run: it only reads the stored values.
            guard let state = try load(id, db) else { return .failed(.unknownRun(id)) }
            if let denied = permission(op, state) { return denied }
            if state.record.status == .running {
                state.record.savedOutcome = state.record.outcome
                state.record.lastHeartbeatAt = now
            }
            let elapsed = (state.record.finishedAt ?? now).milliseconds - state.record.startedAt.milliseconds
            let context = JSONObject([
                ("outcome", state.record.outcome.json),
                (
                    "progress",
                    .object(
                        JSONObject([
                            ("current", .int(state.record.progressCurrent)),
                            ("total", .int(orNull: state.record.progressTotal)),
                            ("unit", .string(orNull: state.record.unit)),
                        ]))
                ),
                ("elapsedMs", .int(max(0, elapsed))),
            ])
            _ = try insertLog(state, .milestone, "Summary", JSONWriter.string(.object(context)), at: now, db)
            markDirty(state)
            return .run(state.record)
        default:
            break
        }
        guard let id = op.command.runID else { return .done }
        guard let state = try load(id, db) else { return .failed(.unknownRun(id)) }
        guard state.record.status == .running else { return .failed(.runFinished(id, state.record.status)) }
        if let denied = permission(op, state) { return denied }
        switch op.command {
        case .abandon, .cancel, .flag: break  // not the job's own word: no heartbeat
        default:
            state.record.lastHeartbeatAt = now
            if state.record.stalledSince != nil { try unstall(state, at: now, db) }
        }
        var outcome = WriteOutcome.done
        switch op.command {
        case .setStage(_, let stage, let message):
            state.record.currentStage = stage
            try StageTable.begin(
                run: id, stage: stage, message: message ?? "Stage: \(stage)", at: op.at ?? now,
                progress: state.record.progressCurrent, db)
            let context = JSONWriter.string(.object(JSONObject([("stage", .string(stage))])))
            _ = try insertLog(state, .info, message ?? "Stage: \(stage)", context, at: op.at ?? now, db)
            emitProgressIfChanged(state, at: now)
            emit(state.record, .stage(stage), at: now)
        case .setTotal(_, let total, let unit):
            state.record.progressTotal = total
            if let unit { state.record.unit = unit }
            markProgressChanged(state)
        case .incrementProgress(_, let by):
            let (sum, overflow) = state.record.progressCurrent.addingReportingOverflow(by)
            if overflow { return .failed(.overflow("progress")) }
            state.record.progressCurrent = sum
            markProgressChanged(state)
        case .setProgress(_, let current):
            state.record.progressCurrent = current
            markProgressChanged(state)
        case .log(_, let level, let message, let context):
            if let logID = try insertLog(state, level, message, context ?? "{}", at: op.at ?? now, db) {
                outcome = .logID(logID)
            } else {
                outcome = .logID(0)
            }
        case .addOutcome(_, let key, let count):
            if !state.record.outcome.add(key, count) { return .failed(.overflow("outcome \(key)")) }
            emitProgressIfChanged(state, at: now)
            emit(state.record, .outcome(state.record.outcome), at: now)
        case .saveOutcome:
            state.record.savedOutcome = state.record.outcome
            outcome = .run(state.record)
        case .finish(_, let status, let message, let stack):
            if let message {
                let context = stack.map { JSONWriter.string(.object(JSONObject([("stack", .string($0))]))) } ?? "{}"
                _ = try insertLog(state, .error, message, context, at: now, db)
                state.record.errorMessage = message
                state.record.errorStack = stack
            }
            if status == .cancelled, let asked = state.record.cancelRequestedAt {
                try noteStopped(state, askedAt: asked, at: now, db)
                if state.record.errorMessage == nil {
                    state.record.errorMessage = Self.cancelled(state.record.cancelReason)
                }
            }
            try close(state, as: status, at: now, db)
            if status == .success {
                try StageTable.succeeded(job: state.record.jobName, at: now, db)
                if let warning = try SlowCheck.finished(state.record, db) {
                    _ = try insertLog(state, .warning, warning, "{}", at: now, db)
                    if !state.record.slow { emit(state.record, .slow, at: now) }
                    state.record.slow = true
                }
            }
            outcome = closed(state, at: now)
        case .cancel(_, let reason, let by, let graceMs):
            let context = JSONObject([
                ("by", .int(orNull: by)), ("reason", .string(reason)), ("graceMs", .int(graceMs)),
            ])
            _ = try insertLog(
                state, .warning, reason.isEmpty ? "Cancel requested" : "Cancel requested: \(reason)",
                JSONWriter.string(.object(context)), at: now, db)
            if state.record.cancelRequestedAt == nil { state.record.cancelRequestedAt = now }
            state.record.cancelReason = reason
            outcome = .run(state.record)
            emitProgressIfChanged(state, at: now)
            emit(state.record, .cancelRequested(reason: reason), at: now)
        case .abandon(_, let reason) where state.record.cancelRequestedAt != nil:
            // The owner went away after a cancel request (it stopped, or was signalled): CANCELLED.
            let why = state.record.cancelReason ?? ""
            let message = (why.isEmpty ? "Run cancelled" : "Run cancelled: \(why)") + " (\(reason))"
            let context = JSONObject([("reason", .string(why)), ("owner", .string(reason))])
            _ = try insertLog(state, .warning, message, JSONWriter.string(.object(context)), at: now, db)
            try noteStopped(state, askedAt: state.record.cancelRequestedAt ?? now, at: now, db)
            state.record.errorMessage = message
            try close(state, as: .cancelled, at: now, db)
            outcome = closed(state, at: now)
        case .abandon(_, let reason):
            let heard = state.record.lastHeartbeatAt
            let progress = "\(state.record.progressCurrent)" + (state.record.progressTotal.map { "/\($0)" } ?? "")
            let message =
                "Run abandoned: \(reason); last stage \(state.record.currentStage.map { "'\($0)'" } ?? "none"), "
                + "progress \(progress), last heard from at \(heard.iso8601)"
            let context = JSONObject([
                ("reason", .string(reason)), ("stage", .string(orNull: state.record.currentStage)),
                ("progressCurrent", .int(state.record.progressCurrent)),
                ("progressTotal", .int(orNull: state.record.progressTotal)),
                ("lastHeartbeatAt", .string(heard.iso8601)),
            ])
            _ = try insertLog(state, .error, message, JSONWriter.string(.object(context)), at: now, db)
            state.record.errorMessage = message
            try close(state, as: .abandoned, at: now, db)
            outcome = closed(state, at: now)
        case .flag(_, let flag):
            try apply(flag, state, at: now, db)
        case .startRun, .barrier, .logSummary, .prune, .vacuum, .reject, .hello, .forgetSessions:
            break
        }
        markDirty(state)
        return outcome
    }

    /// Ends a RUNNING run as `status` (finishRun, abandoned, cancelled): its end time, the
    /// counters saved, its open stage closed, its stall cleared. ``closed(_:at:)`` then tells.
    private func close(_ state: RunState, as status: RunStatus, at now: Timestamp, _ db: Database) throws {
        state.record.status = status
        state.record.finishedAt = now
        state.record.savedOutcome = state.record.outcome
        state.record.stalledSince = nil
        try StageTable.end(run: state.record.id, at: now, progress: state.record.progressCurrent, db)
    }

    /// The events of a run just closed (its last progress, then `finished`) and the answer.
    private func closed(_ state: RunState, at now: Timestamp) -> WriteOutcome {
        emitProgressIfChanged(state, at: now)
        emit(state.record, .finished(state.record.status), at: now)
        return .run(state.record)
    }

    /// `Cancelled: <reason>`, or `Cancelled` without one.
    static func cancelled(_ reason: String?) -> String {
        guard let reason, !reason.isEmpty else { return "Cancelled" }
        return "Cancelled: \(reason)"
    }

    /// The entry that says how long a run took to stop after a cancel request (`context.stopMs`).
    private func noteStopped(_ state: RunState, askedAt: Timestamp, at now: Timestamp, _ db: Database) throws {
        let stopMs = max(0, now.milliseconds - askedAt.milliseconds)
        let context = JSONObject([("stopMs", .int(stopMs)), ("reason", .string(orNull: state.record.cancelReason))])
        _ = try insertLog(
            state, .info, "Stopped \(stopMs) ms after the cancel request", JSONWriter.string(.object(context)),
            at: now, db)
    }

    /// One bounded step of retention, at most `maxRows` rows: first the logs of runs already
    /// pruned (an earlier step, or one a crash interrupted), then whole runs, oldest first. A run's
    /// row is deleted first, in the same transaction as its `pruned_runs` entry; its logs follow,
    /// in this step or the next ones. So no reader ever sees a run whose counts do not match its rows.
    private func prune(before cutoff: Timestamp, status: RunStatus?, maxRows: Int, _ db: Database) throws
        -> WriteOutcome
    {
        var budget = maxRows
        var deletedRuns: Int64 = 0
        var deletedLogs: Int64 = 0
        // 1. Logs left of runs already pruned.
        let pending = try Int64.fetchAll(db, sql: "SELECT run_id FROM pruned_runs ORDER BY run_id LIMIT 100")
        for id in pending {
            let n = try deleteLogs(of: id, upTo: budget, db)
            deletedLogs += Int64(n)
            budget -= n
            if budget <= 0 { break }
        }
        // 2. New runs, while the budget lasts.
        var candidates: [Int64] = []
        if budget > 0 {
            var sql = "SELECT id, job_name FROM runs WHERE status != 'RUNNING' AND finished_at < ?"
            var arguments: StatementArguments = [cutoff.milliseconds]
            if let status {
                sql += " AND status = ?"
                arguments += [status.rawValue]
            }
            sql += " ORDER BY id LIMIT 100"
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            candidates = rows.map { $0[0] }
            for row in rows {
                let id: Int64 = row[0]
                try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [id])
                try StageTable.pruned(run: id, job: row[1], db)
                try db.execute(sql: "INSERT OR IGNORE INTO pruned_runs (run_id) VALUES (?)", arguments: [id])
                if let state = runs.removeValue(forKey: id) {
                    if state.isDirty { dirty.removeAll { $0 === state } }
                    if state.progressChanged { progressChanged.removeAll { $0 === state } }
                }
                lastState = nil
                deletedRuns += 1
                budget -= 1
                if budget <= 0 { break }
                let n = try deleteLogs(of: id, upTo: budget, db)
                deletedLogs += Int64(n)
                budget -= n
                if budget <= 0 { break }
            }
        }
        let done = pending.isEmpty && candidates.isEmpty
        return .pruned(runs: deletedRuns, logs: deletedLogs, complete: done)
    }

    /// Deletes up to `limit` log rows of a pruned run; forgets the run once none is left. In the
    /// order of the one log index, `logs_by_run_level` (no sort of the run's entries).
    private func deleteLogs(of id: Int64, upTo limit: Int, _ db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE run_id = ? ORDER BY level, id LIMIT ?)",
            arguments: [id, limit])
        let n = db.changesCount
        if n < limit { try db.execute(sql: "DELETE FROM pruned_runs WHERE run_id = ?", arguments: [id]) }
        return n
    }

    func emit(_ run: RunRecord, _ kind: CommittedEvent.Kind, at: Timestamp) {
        events.append(CommittedEvent(runID: run.id, jobName: run.jobName, at: at, kind: kind))
    }

    /// Keeps commit order per run: a pending progress change goes out before the run's next other event.
    private func emitProgressIfChanged(_ state: RunState, at: Timestamp) {
        guard state.progressChanged else { return }
        state.progressChanged = false
        let run = state.record
        emit(run, .progress(current: run.progressCurrent, total: run.progressTotal), at: at)
    }

    private func markProgressChanged(_ state: RunState) {
        guard !state.progressChanged else { return }
        state.progressChanged = true
        progressChanged.append(state)
    }

    private func permission(_ op: WriteOp, _ state: RunState) -> WriteOutcome? {
        guard !configuration.permissions.mayWrite(owner: state.record.ownerUid, caller: op.callerUid) else {
            return nil
        }
        return .failed(.notPermitted("run \(state.record.id) belongs to uid \(state.record.ownerUid ?? -1)"))
    }

    private func markDirty(_ state: RunState) {
        guard !state.isDirty else { return }
        state.isDirty = true
        dirty.append(state)
    }

    private func load(_ id: Int64, _ db: Database) throws -> RunState? {
        if let state = lastState, state.record.id == id { return state }
        if let state = runs[id] {
            lastState = state
            return state
        }
        guard let row = try Row.fetchOne(db, sql: "SELECT \(RunRow.columns) FROM runs WHERE id = ?", arguments: [id])
        else {
            return nil
        }
        let state = RunState(RunRow.record(row))
        runs[id] = state
        lastState = state
        return state
    }

    private func startRun(_ new: NewRun, at now: Timestamp, _ db: Database) throws -> WriteOutcome {
        try db.execute(
            sql: """
                INSERT INTO runs (job_name, status, trigger, scope, algorithm_version, params, started_at,
                    last_heartbeat_at, owner_pid, owner_uid, owner_start_time, heartbeat_timeout_ms, stall_after_ms)
                VALUES (?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                new.jobName, new.trigger, new.scope, new.algorithmVersion, new.params, now.milliseconds,
                now.milliseconds, new.ownerPid, new.ownerUid, new.ownerStartTime, new.heartbeatTimeoutMs,
                new.stallAfterMs,
            ])
        let id = db.lastInsertedRowID
        try StageTable.runStarted(job: new.jobName, id: id, db)
        var run = RunRecord(
            id: id, jobName: new.jobName, status: .running, trigger: new.trigger, scope: new.scope,
            algorithmVersion: new.algorithmVersion, startedAt: now, lastHeartbeatAt: now,
            params: RawJSON(validating: new.params) ?? .emptyObject, ownerPid: new.ownerPid, ownerUid: new.ownerUid)
        run.stallAfterMs = new.stallAfterMs
        runs[id] = RunState(run)
        emit(run, .started, at: now)
        return .run(run)
    }

    /// Inserts an entry (unless the run's log budget drops it); returns its id, nil when dropped.
    func insertLog(
        _ state: RunState, _ level: LogLevel, _ message: String, _ context: String, at now: Timestamp,
        _ db: Database
    ) throws -> Int64? {
        guard let inserter else { throw StoreError.unavailable("writer not ready") }
        if let budget = configuration.maxLogsPerRun, try !makeRoom(state, for: level, budget: budget, db) {
            state.record.droppedLogCounts[level] += 1
            return nil
        }
        let id = try inserter.insert(
            run: state.record.id, level: level.rawValue, stage: state.record.currentStage, message: message,
            context: context,
            createdAt: now.milliseconds)
        state.record.logCounts[level] += 1
        if let watched = logEventLevel, level >= watched {
            emitProgressIfChanged(state, at: now)
            let record = LogRecord(
                id: id, level: level, stage: state.record.currentStage, message: message,
                context: RawJSON(trustedObjectText: context), createdAt: now)
            emit(state.record, .log(record), at: now)
        }
        return id
    }

    /// Keeps a run within its log budget: past it, the oldest debug entry goes first,
    /// then the oldest info entry; warnings, errors and milestones are never dropped.
    /// Returns false when the new entry itself is the one to drop.
    private func makeRoom(_ state: RunState, for level: LogLevel, budget: Int64, _ db: Database) throws -> Bool {
        guard state.record.logCounts.total >= budget else { return true }
        let victim: LogLevel? =
            state.record.logCounts.debug > 0 ? .debug : (state.record.logCounts.info > 0 ? .info : nil)
        guard let victim else { return level > .info }
        if level < victim { return false }
        try db.execute(
            sql: "DELETE FROM logs WHERE id = (SELECT id FROM logs WHERE run_id = ? AND level = ? ORDER BY id LIMIT 1)",
            arguments: [state.record.id, victim.rawValue])
        state.record.logCounts[victim] -= 1
        state.record.droppedLogCounts[victim] += 1
        return true
    }
}

/// A run's row while it is being written to: a reference, so the writer changes it in place.
final class RunState {
    /// Only the writer thread touches it: no dynamic exclusivity check on each change.
    @exclusivity(unchecked) var record: RunRecord
    /// Listed in the writer's `dirty` (its row is written at commit).
    var isDirty = false
    /// Listed in the writer's `progressChanged` (one progress event at commit).
    var progressChanged = false
    init(_ record: RunRecord) { self.record = record }
}
