import Foundation
import JobLogModel
import JobLogRules
import Logging
import Synchronization

/// What the store needs of its writer thread, whatever its backend.
protocol WriterThread: AnyObject, Sendable {
    func start()
    /// Waits until the thread has drained the queue and stopped.
    func join()
    /// Transactions committed since start.
    var commitCount: Int { get }
}

/// The single writer: a dedicated thread that takes batches from the queue and applies each as
/// one transaction of its backend (group commit). It holds no rule of its own: what a command
/// does to a run is `RunMachine`'s; how it is stored is the backend's.
///
/// Runs are kept in memory while they are written to; progress and counters change only there,
/// and each changed run row is written once per transaction. Completions run after the commit,
/// so an acknowledgement always means durable.
///
/// Several daemons writing one run (a fleet on one PostgreSQL, ``StoreBackend/sharesRuns``): the
/// cache would be stale, so each transaction first forgets it and loads every run the batch
/// touches in one statement, locked until the commit (``StoreTransaction/loadRuns(_:)``). The run
/// rules then work on the row as committed by every daemon, and the row written back at commit is
/// computed from it: for the counters (progress, outcome, log and dropped counts) that is exactly
/// `current = current + n` in the database, since no other writer can change the row between the
/// load and the commit; `setProgress`, `setTotal` and the stage are last-writer-wins in commit
/// order. A transaction that lost a race (a deadlock or serialization failure the backend
/// recognises) is run again, up to ``maxConflictRetries`` times, before its writes fail.
///
/// A connection's writes keep its order and its promise: when one of its notifications was lost
/// to a store failure, its later writes are held back (not applied) until one of its requests has
/// reported the loss, so what is stored of a connection is a gap-free prefix of what it sent.
final class BatchWriter<Backend: StoreBackend>: WriterThread, @unchecked Sendable {
    private let backend: Backend
    private let queue: WriteQueue
    private let configuration: StoreConfiguration
    private let logger: Logger
    private let finished = DispatchSemaphore(value: 0)
    private let onCommit: @Sendable ([CommittedEvent]) -> Void
    private let commits = Atomic<Int>(0)
    private let heartbeat: WriterHeartbeat
    /// The backend's ``StoreBackend/sharesRuns``, read once: the only cost on a store of one daemon.
    private let sharesRuns: Bool
    /// Times a transaction that lost a race with another daemon is run again.
    static var maxConflictRetries: Int { 5 }

    // Owned by the writer thread only (so no dynamic exclusivity checks on the hot ones).
    @exclusivity(unchecked) private var runs: [Int64: RunState] = [:]
    /// Runs changed in this transaction (each once; ``RunState/isDirty`` says whether it is listed).
    @exclusivity(unchecked) private var dirty: [RunState] = []
    /// The run of the previous write: consecutive writes to one run skip the dictionary.
    @exclusivity(unchecked) private var lastState: RunState?
    private var failing = false
    @exclusivity(unchecked) private var events: [CommittedEvent] = []
    /// Runs whose progress changed in this transaction: one progress event each, at commit.
    @exclusivity(unchecked) private var progressChanged: [RunState] = []
    /// The rules' settings; the watched level is read once per batch (into the batch's copy).
    private let baseSettings: RuleSettings
    private let logEventLevelSource: @Sendable () -> LogLevel?
    private var rejectionLog: RejectionLog
    /// Notifications refused in the current transaction: reported to their connections and
    /// logged once it committed.
    private var rejections: [(tracker: CommitTracker?, run: Int64?, reason: String)] = []
    /// Client sessions' committed counts (`hello`), written in the same transaction as the effects.
    private let sessions = SessionBook()

    init(
        backend: Backend, queue: WriteQueue, configuration: StoreConfiguration, logger: Logger,
        heartbeat: WriterHeartbeat, logEventLevel: @escaping @Sendable () -> LogLevel?,
        onCommit: @escaping @Sendable ([CommittedEvent]) -> Void
    ) {
        self.backend = backend
        self.logEventLevelSource = logEventLevel
        self.queue = queue
        self.configuration = configuration
        self.logger = logger
        self.rejectionLog = RejectionLog(logger: logger)
        self.onCommit = onCommit
        self.heartbeat = heartbeat
        self.sharesRuns = backend.sharesRuns
        self.baseSettings = RuleSettings(
            permissions: configuration.permissions, maxLogsPerRun: configuration.maxLogsPerRun)
    }

    var commitCount: Int { commits.load(ordering: .relaxed) }

    func start() {
        let thread = Thread { [self] in
            // Each return to the queue is a heartbeat (an empty batch: the idle writer's wake-up).
            let wake = configuration.heartbeatIntervalMs.map { Double($0) / 1000 }
            while let batch = queue.takeBatch(wakeAfter: wake) {
                heartbeat.beat()
                if !batch.isEmpty { process(batch) }
            }
            backend.writerStopped()
            finished.signal()
        }
        thread.name = "joblogd-writer"
        thread.start()
    }

    func join() { finished.wait() }

    // MARK: - One transaction

    private func process(_ batch: [WriteOp]) {
        // Outcomes are kept only for writes that are answered or failed (in batch order): a
        // notification that succeeded needs none.
        var outcomes: [(index: Int, outcome: WriteOutcome)] = []
        var transactionFailure: String?
        var settings = baseSettings
        settings.watchedLevel = logEventLevelSource()
        let held = holdBack(batch)
        var attempts = 0
        while batch.indices.contains(where: { (held.isEmpty || held[$0] == nil) && !batch[$0].command.isBarrier }) {
            do {
                try backend.transaction { tx in
                    if sharesRuns { try reloadRuns(batch, held, tx) }
                    var effects = TransactionEffects(tx)
                    swap(&effects.events, &events)
                    defer { swap(&effects.events, &events) }
                    for i in batch.indices {
                        if !held.isEmpty, held[i] != nil { continue }
                        let (outcome, fresh) = try applyOnce(batch[i], settings, &effects)
                        if batch[i].isRequest {
                            outcomes.append((i, outcome))
                        } else if !fresh {
                            continue  // a session's resend already applied (or refused): not judged again
                        } else if case .failed = outcome {
                            outcomes.append((i, outcome))
                            try noteIfRejected(batch[i], outcome, settings, &effects)
                        } else if case .reject = batch[i].command {
                            try noteIfRejected(batch[i], outcome, settings, &effects)
                        }
                    }
                    let end = batch.last?.receivedAt ?? .now()
                    for state in progressChanged where state.progressListed {
                        state.progressListed = false
                        state.machine.flushProgress(at: end, effects: &effects)
                    }
                    progressChanged.removeAll(keepingCapacity: true)
                    for state in dirty { try tx.updateRun(state.machine.run) }
                    try sessions.persist(tx)
                }
                committed()
                break
            } catch {
                outcomes.removeAll()
                if attempts < Self.maxConflictRetries, backend.isTransientConflict(error) {
                    attempts += 1
                    discardTransaction()
                    logger.debug(
                        "transaction lost a race with another writer; running it again",
                        metadata: ["attempt": "\(attempts)", "error": "\(backend.failureReason(error))"])
                    continue
                }
                transactionFailure = rolledBack(error, batch, held)
                break
            }
        }
        if !events.isEmpty {
            onCommit(events)
            events.removeAll(keepingCapacity: true)
        }
        complete(batch, outcomes, held: held, failure: transactionFailure)
    }

    /// Which writes of the batch are not applied, and why (empty: all are). A connection whose
    /// notification was lost has its later writes held until one of its requests reports the loss;
    /// a session that lost a write, everything until its next `hello`. One walk, by index (no copy
    /// of a write), the loss flag read once per run of one connection's writes.
    private func holdBack(_ batch: [WriteOp]) -> [String?] {
        var held: [String?] = []
        var lastTracker: CommitTracker?
        var lastLoss: String?
        for i in batch.indices {
            if let link = batch[i].session, link.broken {
                if held.isEmpty { held = [String?](repeating: nil, count: batch.count) }
                held[i] = StoreError.sessionLostWrite
                continue
            }
            guard let tracker = batch[i].tracker else { continue }
            if tracker !== lastTracker {
                lastTracker = tracker
                lastLoss = tracker.unreportedLoss
            }
            guard let lost = lastLoss else { continue }
            if held.isEmpty { held = [String?](repeating: nil, count: batch.count) }
            held[i] = StoreError.earlierLoss(lost)
            sessions.lost(batch[i])
            if batch[i].isRequest {
                tracker.clearLoss()
                lastLoss = nil
                lastTracker = nil
            }
        }
        return held
    }

    /// After a commit: the changed runs are clean again, refused notifications reported.
    private func committed() {
        // Writable again only once something was written: a transaction of refusals alone (which
        // a read-only file lets commit) says nothing about the file.
        let wrote = !dirty.isEmpty || !events.isEmpty
        for state in dirty { state.isDirty = false }
        dirty.removeAll(keepingCapacity: true)
        sessions.committed()
        commits.add(1, ordering: .relaxed)
        for r in rejections {
            r.tracker?.noteRejection(r.reason)
            rejectionLog.note(r.reason, run: r.run)
        }
        rejections.removeAll(keepingCapacity: true)
        if failing, wrote {
            failing = false
            logger.notice("store writable again")
        }
        trimCache()
    }

    /// Nothing of this batch is stored: forget the in-memory state and fail every write in it.
    /// Returns the failure's reason.
    private func rolledBack(_ error: any Error, _ batch: [WriteOp], _ held: [String?]) -> String {
        discardTransaction()
        let reason = backend.failureReason(error)
        if !failing {
            failing = true
            logger.error("store write failed", metadata: ["error": "\(reason)", "writes": "\(batch.count)"])
        }
        for i in batch.indices where held.isEmpty || held[i] == nil {
            sessions.lost(batch[i])
            // In order: a lost notification marks its connection, a request reports the loss.
            if !batch[i].isRequest {
                batch[i].tracker?.markLoss(reason)
            } else {
                batch[i].tracker?.clearLoss()
            }
        }
        return reason
    }

    /// Forgets what the rolled-back transaction changed in memory (it may be ahead of the store).
    private func discardTransaction() {
        runs.removeAll()
        lastState = nil
        dirty.removeAll()
        events.removeAll()
        progressChanged.removeAll()
        rejections.removeAll()
        sessions.rolledBack()
    }

    /// Runs other daemons also write: forgets the cached ones and loads, locked and in one
    /// statement, every run the batch's applied writes name (the rest are loaded one by one if
    /// needed, as on a store of one daemon: a run that does not exist, or one a rejection names).
    private func reloadRuns(_ batch: [WriteOp], _ held: [String?], _ tx: Backend.Transaction) throws {
        runs.removeAll(keepingCapacity: true)
        lastState = nil
        var ids = Set<Int64>()
        for i in batch.indices where held.isEmpty || held[i] == nil {
            if let id = batch[i].command.runID {
                ids.insert(id)
            } else if case .reject(let id?, _, _) = batch[i].command {
                ids.insert(id)
            }
        }
        guard !ids.isEmpty else { return }
        for record in try tx.loadRuns(ids.sorted()) {
            runs[record.id] = RunState(RunMachine(record))
        }
    }

    /// Calls every completion in batch order and ends the writes on their connections' trackers.
    private func complete(
        _ batch: [WriteOp], _ outcomes: [(index: Int, outcome: WriteOutcome)], held: [String?], failure: String?
    ) {
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
            } else if let failure {
                outcome = .failed(.unavailable(failure))
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

    /// A notification gets no answer: when it was refused (not lost to a store failure), it is
    /// counted on its run (unless it names none or one the caller may not write to) and reported.
    private func noteIfRejected(
        _ op: WriteOp, _ outcome: WriteOutcome, _ settings: RuleSettings,
        _ effects: inout TransactionEffects<Backend.Transaction>
    ) throws {
        let run: Int64?
        let cause: String
        var countOnRun = true
        switch (op.command, outcome) {
        case (.reject(let r, _, let why), _):
            run = r
            cause = why
        case (_, .failed(let error)):
            guard let counts = error.countsAsRejection else { return }
            countOnRun = counts
            run = op.command.runID
            cause = error.rejectionCause
        default:
            return
        }
        let reason = RejectionText.reason(method: op.command.methodName, cause: cause)
        if countOnRun, let run, let state = try load(run, effects.tx),
            state.machine.countRejection(reason, caller: op.callerUid, settings: settings)
        {
            markDirty(state)
        }
        rejections.append((op.tracker, run, reason))
    }

    private func trimCache() {
        guard runs.count > configuration.maxCachedRuns else { return }
        runs = runs.filter { $0.value.machine.run.status == .running }
        if runs.count > configuration.maxCachedRuns { runs.removeAll() }
        lastState = nil
    }

    // MARK: - Applying one write

    /// Applies a write unless its session already has (a resend racing a commit), counting it in its
    /// session. `fresh` is false when it was not applied for that reason (skipped, or refused).
    private func applyOnce(
        _ op: WriteOp, _ settings: RuleSettings, _ effects: inout TransactionEffects<Backend.Transaction>
    ) throws -> (WriteOutcome, fresh: Bool) {
        guard op.session != nil else { return (try apply(op, settings, &effects), true) }
        let admission = try sessions.admit(op, effects.tx)
        switch admission {
        case .skip(let outcome), .refuse(let outcome):
            return (outcome, false)
        case .plain, .apply:
            break
        }
        let outcome = try apply(op, settings, &effects)
        if case .apply(let entry, let seq) = admission {
            sessions.applied(
                entry, seq: seq, outcome: outcome, isRequest: op.isRequest, at: op.receivedAt.milliseconds)
        }
        return (outcome, true)
    }

    /// Applies one write inside the open transaction. Refusals are outcomes; storage errors are
    /// thrown and fail the whole batch.
    private func apply(
        _ op: WriteOp, _ settings: RuleSettings, _ effects: inout TransactionEffects<Backend.Transaction>
    ) throws -> WriteOutcome {
        let now = op.receivedAt
        if let (id, command) = op.command.runCommand {
            guard let state = try load(id, effects.tx) else { return .failed(.unknownRun(id)) }
            let answer = try state.machine.apply(
                command, at: now, jobTime: op.at, caller: op.callerUid, settings: settings, effects: &effects)
            if state.machine.progressPending, !state.progressListed {
                state.progressListed = true
                progressChanged.append(state)
            }
            switch answer {
            case .done:
                markDirty(state)
                return .done
            case .logID(let logID):
                markDirty(state)
                return .logID(logID)
            case .run:
                markDirty(state)
                return .run(state.machine.run)
            case .refused(let refusal):
                if refusal.changedRun { markDirty(state) }
                return .failed(StoreError(refusal))
            }
        }
        switch op.command {
        case .startRun(var new):
            new.node = configuration.nodeName
            let id = try effects.tx.insertRun(new, at: now)
            let state = RunState(RunMachine.start(new, id: id, at: now, effects: &effects))
            runs[id] = state
            return .run(state.machine.run)
        case .barrier, .reject:
            return .done
        case .hello(let link):
            return try sessions.hello(link, at: now.milliseconds, effects.tx)
        case .forgetSessions(let before):
            return .forgotten(try sessions.forget(before: before.milliseconds, effects.tx))
        case .prune(let cutoff, let status, let maxRows):
            let step = try effects.tx.pruneStep(before: cutoff, status: status, maxRows: maxRows)
            for id in step.prunedRunIDs {
                guard let state = runs.removeValue(forKey: id) else { continue }
                if state.isDirty { dirty.removeAll { $0 === state } }
                if state.progressListed { progressChanged.removeAll { $0 === state } }
            }
            lastState = nil
            return .pruned(runs: step.runs, logs: step.logs, complete: step.complete)
        case .vacuum(let pages):
            return .vacuumed(freePagesLeft: try effects.tx.vacuum(pages: pages))
        default:
            return .done  // a run command: applied above
        }
    }

    private func markDirty(_ state: RunState) {
        guard !state.isDirty else { return }
        state.isDirty = true
        dirty.append(state)
    }

    private func load(_ id: Int64, _ tx: Backend.Transaction) throws -> RunState? {
        if let state = lastState, state.machine.run.id == id { return state }
        if let state = runs[id] {
            lastState = state
            return state
        }
        guard let record = try tx.loadRun(id) else { return nil }
        let state = RunState(RunMachine(record))
        runs[id] = state
        lastState = state
        return state
    }
}

/// A run while it is being written to: a reference, so the writer changes it in place.
final class RunState {
    /// Only the writer thread touches it: no dynamic exclusivity check on each change.
    @exclusivity(unchecked) var machine: RunMachine
    /// Listed in the writer's `dirty` (its row is written at commit).
    var isDirty = false
    /// Listed in the writer's `progressChanged` (one progress event at commit).
    var progressListed = false
    init(_ machine: RunMachine) { self.machine = machine }
}
