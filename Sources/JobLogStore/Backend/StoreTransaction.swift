import JobLogModel

/// One open write transaction of a ``StoreBackend``, used on the writer thread only.
///
/// The writer loads the runs it writes to, lets the run rules (`RunMachine`) change them, and
/// performs the effects the rules ask for through these methods; it writes each changed run row
/// once, at the end of the transaction (``updateRun(_:)``).
public protocol StoreTransaction: AnyObject {
    /// The stored run, or nil.
    func loadRun(_ id: Int64) throws -> RunRecord?
    /// The stored runs among `ids` (sorted, distinct), in id order. A backend whose runs other
    /// daemons also write (``StoreBackend/sharesRuns``) loads them in one statement and locks them
    /// until the end of the transaction, in id order, so that writers of several daemons take
    /// turns on a run and never deadlock on run rows. The default calls ``loadRun(_:)`` for each.
    func loadRuns(_ ids: [Int64]) throws -> [RunRecord]
    /// Stores a new RUNNING run and returns its id.
    func insertRun(_ new: NewRun, at: Timestamp) throws -> Int64
    /// Writes a run's row back (every column the rules change).
    func updateRun(_ run: RunRecord) throws

    // The effects of the run rules (see `RunEffects`, whose methods these are).
    func appendLog(run: Int64, stage: String?, level: LogLevel, message: String, context: String, at: Timestamp)
        throws -> Int64
    func dropOldestLog(run: Int64, level: LogLevel) throws
    func beginStage(run: Int64, stage: String, message: String, at: Timestamp, progress: Int64) throws
    func endStage(run: Int64, at: Timestamp, progress: Int64) throws
    func jobSucceeded(job: String, at: Timestamp) throws
    func slowWarning(_ run: RunRecord) throws -> String?

    // Retention, in the primitives of ``pruneStep(before:status:maxRows:)`` (one algorithm for every backend).
    /// Runs already pruned whose log rows are not all deleted yet, oldest first, at most `limit`.
    func prunedRunsWithLogs(limit: Int) throws -> [Int64]
    /// Finished runs (of `status`, if given) that ended before `cutoff`, oldest first, at most `limit`.
    func pruneCandidates(before cutoff: Timestamp, status: RunStatus?, limit: Int) throws -> [(id: Int64, job: String)]
    /// Deletes a run's row, its stages and its count in the job's summary, and marks it pruned (its log
    /// rows follow through ``deletePrunedLogs(of:upTo:)``).
    func deletePrunedRun(_ id: Int64, job: String) throws
    /// Deletes up to `limit` log rows of a pruned run and forgets the run once none is left; how many.
    func deletePrunedLogs(of id: Int64, upTo limit: Int) throws -> Int
    /// Returns up to `pages` free pages to the file system; answers how many are left.
    func vacuum(pages: Int) throws -> Int64

    /// A client session's committed count, or nil when the store has none by that name.
    func session(_ id: String) throws -> StoredSession?
    /// Writes a session's committed count.
    func saveSession(_ session: StoredSession) throws
    /// Forgets the sessions untouched since `before` (ms); answers how many.
    func forgetSessions(before: Int64) throws -> Int64
}

extension StoreTransaction {
    public func loadRuns(_ ids: [Int64]) throws -> [RunRecord] {
        try ids.compactMap { try loadRun($0) }
    }
}

/// What one retention step deleted.
public struct PruneStep: Sendable {
    public var runs: Int64
    public var logs: Int64
    /// Nothing older is left to delete.
    public var complete: Bool
    /// The runs whose rows this step deleted (the writer forgets them).
    public var prunedRunIDs: [Int64]

    public init(runs: Int64, logs: Int64, complete: Bool, prunedRunIDs: [Int64]) {
        self.runs = runs
        self.logs = logs
        self.complete = complete
        self.prunedRunIDs = prunedRunIDs
    }
}

/// A client session as stored: its committed message count and when it was last used (ms).
public struct StoredSession: Sendable, Equatable {
    public var id: String
    public var applied: Int64
    public var touchedAt: Int64

    public init(id: String, applied: Int64, touchedAt: Int64) {
        self.id = id
        self.applied = applied
        self.touchedAt = touchedAt
    }
}
