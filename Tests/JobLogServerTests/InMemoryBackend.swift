import Foundation
import JobLogJSON
import JobLogModel
import Synchronization

@testable import JobLogStore

/// A second store backend, for tests only: everything in memory, one lock. It implements
/// ``StoreBackend`` and nothing else, and the daemon's writer, run rules, sessions and router run
/// on it unchanged: the proof that a backend is one protocol away (PostgreSQL is the next one).
///
/// Kept: runs, log entries (with the same paging as SQLite), stage timelines, client sessions,
/// retention. Not kept: the insight queries across runs (`searchLogs`, `listJobs`, `jobStats`,
/// `compareRuns`), which answer `store unavailable`; the slow flag needs that history too.
final class InMemoryBackend: StoreBackend, Sendable {
    struct State {
        var runs: [Int64: RunRecord] = [:]
        /// The owner facts `RunRecord` does not carry (the liveness reaper's).
        var owners: [Int64: (startTime: Int64?, heartbeatTimeoutMs: Int64?)] = [:]
        var logs: [Int64: [LogRecord]] = [:]
        var stages: [Int64: [StageSpan]] = [:]
        var sessions: [String: StoredSession] = [:]
        var pruned: Set<Int64> = []
        var lastRunID: Int64 = 0
        var lastLogID: Int64 = 0
    }

    private let state = Mutex(State())
    /// Transactions committed (what a test can count).
    let commits = Atomic<Int>(0)
    /// When set, every transaction fails with this reason (a store that cannot write).
    let failure = Mutex<String?>(nil)

    static let notKept = StoreError.unavailable("not kept by the in-memory test backend")

    func transaction(_ body: (InMemoryTransaction) throws -> Void) throws {
        if let reason = failure.withLock({ $0 }) { throw StoreError.unavailable(reason) }
        // One writer: work on a copy, publish it at commit; a throw leaves the state as it was.
        let tx = InMemoryTransaction(state.withLock { $0 })
        try body(tx)
        state.withLock { $0 = tx.state }
        commits.add(1, ordering: .relaxed)
    }

    func failureReason(_ error: any Error) -> String {
        if case .unavailable(let why)? = error as? StoreError { return why }
        return "\(error)"
    }

    func writerStopped() {}

    func verifyLocation() -> String? { nil }

    private func read<T>(_ body: (State) throws -> T) rethrows -> T {
        let snapshot = state.withLock { $0 }
        return try body(snapshot)
    }

    func run(_ id: Int64) async throws -> RunRecord? { read { $0.runs[id] } }

    func logs(run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?, beforeId: Int64?) async throws
        -> [LogRecord]?
    {
        read { s in
            guard s.runs[run] != nil else { return nil }
            let entries = (s.logs[run] ?? []).filter { minLevel == nil || $0.level >= minLevel! }
            if let afterId { return Array(entries.filter { $0.id > afterId }.prefix(limit)) }
            let older = entries.filter { beforeId == nil || $0.id < beforeId! }
            return Array(older.suffix(limit))
        }
    }

    func listRuns(jobName: String?, status: RunStatus?, node: String?, limit: Int, beforeId: Int64?) async throws
        -> [RunRecord]
    {
        read { s in
            let runs = s.runs.values.filter { r in
                (jobName == nil || r.jobName == jobName) && (status == nil || r.status == status)
                    && (node == nil || r.node == node)
                    && (beforeId == nil || r.id < beforeId!)
            }
            return Array(runs.sorted { $0.id > $1.id }.prefix(limit))
        }
    }

    func runningRuns() async throws -> [RunOwner] {
        read { s in s.runs.values.filter { $0.status == .running }.sorted { $0.id < $1.id }.map { Self.owner($0, s) } }
    }

    func runningOwner(of id: Int64) async throws -> RunOwner? {
        read { s in s.runs[id].flatMap { $0.status == .running ? Self.owner($0, s) : nil } }
    }

    private static func owner(_ r: RunRecord, _ s: State) -> RunOwner {
        var owner = RunOwner(
            runID: r.id, pid: r.ownerPid, startTime: s.owners[r.id]?.startTime,
            heartbeatTimeoutMs: s.owners[r.id]?.heartbeatTimeoutMs, lastHeartbeatAt: r.lastHeartbeatAt)
        owner.jobName = r.jobName
        owner.startedAt = r.startedAt
        owner.currentStage = r.currentStage
        owner.stalledSince = r.stalledSince
        owner.stallAfterMs = r.stallAfterMs
        owner.slow = r.slow
        return owner
    }

    func runningCount() async throws -> Int { read { s in s.runs.values.filter { $0.status == .running }.count } }

    func integrityCheck() async throws -> String { "ok" }

    func searchLogs(_ filter: LogSearchFilter) async throws -> [SearchedLog]? { throw Self.notKept }

    func stages(run: Int64) async throws -> [StageSpan]? {
        read { s in s.runs[run] == nil ? nil : (s.stages[run] ?? []) }
    }

    func listJobs(prefix: String?, limit: Int) async throws -> [JobSummary] { throw Self.notKept }

    func jobStats(job: String, last: Int) async throws -> JobStats { throw Self.notKept }

    func compare(run id: Int64, baseline baselineID: Int64?) async throws -> RunComparison? { throw Self.notKept }

    func usualDuration(job: String, before run: Int64) async throws -> Int64? { nil }
}

/// One transaction of ``InMemoryBackend``: a working copy of its state.
final class InMemoryTransaction: StoreTransaction {
    var state: InMemoryBackend.State

    init(_ state: InMemoryBackend.State) { self.state = state }

    func loadRun(_ id: Int64) throws -> RunRecord? { state.runs[id] }

    func insertRun(_ new: NewRun, at: Timestamp) throws -> Int64 {
        state.lastRunID += 1
        let id = state.lastRunID
        var run = RunRecord(
            id: id, jobName: new.jobName, status: .running, trigger: new.trigger, scope: new.scope,
            algorithmVersion: new.algorithmVersion, startedAt: at, lastHeartbeatAt: at,
            params: RawJSON(validating: new.params) ?? .emptyObject, ownerPid: new.ownerPid, ownerUid: new.ownerUid)
        run.stallAfterMs = new.stallAfterMs
        run.node = new.node
        state.runs[id] = run
        state.owners[id] = (new.ownerStartTime, new.heartbeatTimeoutMs)
        return id
    }

    func updateRun(_ run: RunRecord) throws {
        var stored = run
        // Live-only figures are not stored (as on SQLite).
        stored.ratePerSecond = nil
        stored.etaSeconds = nil
        state.runs[run.id] = stored
    }

    func appendLog(run: Int64, stage: String?, level: LogLevel, message: String, context: String, at: Timestamp)
        throws -> Int64
    {
        state.lastLogID += 1
        let record = LogRecord(
            id: state.lastLogID, level: level, stage: stage, message: message,
            context: RawJSON(trustedObjectText: context), createdAt: at)
        state.logs[run, default: []].append(record)
        return state.lastLogID
    }

    func dropOldestLog(run: Int64, level: LogLevel) throws {
        guard let i = state.logs[run]?.firstIndex(where: { $0.level == level }) else { return }
        state.logs[run]?.remove(at: i)
    }

    func beginStage(run: Int64, stage: String, message: String, at: Timestamp, progress: Int64) throws {
        guard (state.stages[run]?.count ?? 0) < 1000 else { return }
        try endStage(run: run, at: at, progress: progress)
        state.stages[run, default: []].append(
            StageSpan(
                stage: stage, message: message, startedAt: at, finishedAt: nil, progressAtStart: progress,
                progressAtEnd: nil))
    }

    func endStage(run: Int64, at: Timestamp, progress: Int64) throws {
        guard let last = state.stages[run]?.indices.last, state.stages[run]![last].finishedAt == nil else { return }
        state.stages[run]![last].finishedAt = max(at, state.stages[run]![last].startedAt)
        state.stages[run]![last].progressAtEnd = progress
    }

    func jobSucceeded(job: String, at: Timestamp) throws {}

    func slowWarning(_ run: RunRecord) throws -> String? { nil }

    func prunedRunsWithLogs(limit: Int) throws -> [Int64] { Array(state.pruned.sorted().prefix(limit)) }

    func pruneCandidates(before cutoff: Timestamp, status: RunStatus?, limit: Int) throws
        -> [(id: Int64, job: String)]
    {
        let runs = state.runs.values.filter { run in
            guard run.status != .running, let finished = run.finishedAt else { return false }
            return finished < cutoff && (status == nil || run.status == status)
        }
        return runs.sorted { $0.id < $1.id }.prefix(limit).map { ($0.id, $0.jobName) }
    }

    func deletePrunedRun(_ id: Int64, job: String) throws {
        state.runs[id] = nil
        state.stages[id] = nil
        state.owners[id] = nil
        state.pruned.insert(id)
    }

    func deletePrunedLogs(of id: Int64, upTo limit: Int) throws -> Int {
        let entries = state.logs[id] ?? []
        let doomed = Set(entries.sorted { ($0.level, $0.id) < ($1.level, $1.id) }.prefix(limit).map(\.id))
        state.logs[id] = entries.filter { !doomed.contains($0.id) }
        if doomed.count < limit {
            state.pruned.remove(id)
            state.logs[id] = nil
        }
        return doomed.count
    }

    func vacuum(pages: Int) throws -> Int64 { 0 }

    func session(_ id: String) throws -> StoredSession? { state.sessions[id] }

    func saveSession(_ session: StoredSession) throws { state.sessions[session.id] = session }

    func forgetSessions(before: Int64) throws -> Int64 {
        let old = state.sessions.values.filter { $0.touchedAt < before }
        for s in old { state.sessions[s.id] = nil }
        return Int64(old.count)
    }
}
