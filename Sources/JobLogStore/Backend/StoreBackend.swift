import JobLogModel

/// A store's engine: what ``JobLogStore`` needs of a database. The writer thread, its queue,
/// group commit, client sessions and the run rules are the store's and stay the same for every
/// backend; a backend only runs transactions and reads.
///
/// ``SQLiteBackend`` is the embedded default. A second backend implements this protocol (and
/// ``StoreTransaction``) and gets the whole daemon: the tests show it with an in-memory one.
public protocol StoreBackend: AnyObject, Sendable {
    associatedtype Transaction: StoreTransaction

    // MARK: Writes (on the writer thread only)

    /// Runs `body` in one transaction and commits it; when `body` or the commit throws, nothing of
    /// it is stored (rolled back) and the error is rethrown.
    func transaction(_ body: (Transaction) throws -> Void) throws
    /// A failed transaction's cause in words for clients (`disk full`, `database is locked`).
    func failureReason(_ error: any Error) -> String
    /// The writer stopped: release what writing holds.
    func writerStopped()
    /// Checks that the store is still the one opened (SQLite: the path still names the file it
    /// opened); nil when it is, else why not. Once it is not, every later transaction fails.
    func verifyLocation() -> String?

    // MARK: Reads (any thread; never on the writer thread)

    /// One run, or nil.
    func run(_ id: Int64) async throws -> RunRecord?
    /// A page of a run's log entries in id order; nil when the run does not exist (see
    /// ``JobLogStore/logs(run:minLevel:limit:afterId:beforeId:)``).
    func logs(run: Int64, minLevel: LogLevel?, limit: Int, afterId: Int64?, beforeId: Int64?) async throws
        -> [LogRecord]?
    /// Runs, newest first; `node` keeps the runs started by that daemon.
    func listRuns(jobName: String?, status: RunStatus?, node: String?, limit: Int, beforeId: Int64?) async throws
        -> [RunRecord]
    /// The runs still RUNNING, with what the liveness reaper needs.
    func runningRuns() async throws -> [RunOwner]
    /// The owner facts of one RUNNING run, nil when it is not RUNNING.
    func runningOwner(of id: Int64) async throws -> RunOwner?
    /// How many runs are RUNNING.
    func runningCount() async throws -> Int
    /// "ok" when the store is sound, else what is wrong.
    func integrityCheck() async throws -> String
    /// Log entries across runs; nil when `filter.runID` names no run.
    func searchLogs(_ filter: LogSearchFilter) async throws -> [SearchedLog]?
    /// A run's stage timeline; nil when the run does not exist.
    func stages(run: Int64) async throws -> [StageSpan]?
    /// Job names, the most recently started first.
    func listJobs(prefix: String?, limit: Int) async throws -> [JobSummary]
    /// Statistics over the last `last` finished runs of `job`.
    func jobStats(job: String, last: Int) async throws -> JobStats
    /// A run against a baseline run or its job's usual runs; nil when the run does not exist.
    func compare(run id: Int64, baseline baselineID: Int64?) async throws -> RunComparison?
    /// The median duration of the last SUCCESS runs of `job` before `run`, when it has enough.
    func usualDuration(job: String, before run: Int64) async throws -> Int64?

    // MARK: Fleets (several daemons on one database; the defaults are those of a daemon alone)

    /// Other daemons may write to the same runs (a database several hosts share): the writer then
    /// reloads, locked, every run a transaction touches instead of trusting its cache (see
    /// `StoreTransaction.loadRuns(_:)`). Default false.
    var sharesRuns: Bool { get }
    /// Whether a failed transaction lost a race with another writer (a deadlock or a
    /// serialization failure) and may simply be run again. Default false.
    func isTransientConflict(_ error: any Error) -> Bool
    /// Renews this daemon's lease (its node's heartbeat). Default: nothing to renew.
    func renewLease() async throws
    /// Claims, one at a time, the other nodes whose lease is older than `leaseMs` and that have
    /// RUNNING runs, so that no other daemon works on the same node at the same time; calls
    /// `abandon` with each node and (a bounded number of) its RUNNING runs and waits for it.
    /// Returns the nodes handled. Default: none (a store of one daemon has no other nodes).
    func reapExpiredNodes(leaseMs: Int64, _ abandon: @Sendable (ExpiredNode) async -> Void) async throws
        -> [ExpiredNode]
}
