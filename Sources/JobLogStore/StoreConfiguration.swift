import JobLogModel

/// How the store opens its database and groups writes.
public struct StoreConfiguration: Sendable {
    /// The SQLite file.
    public var path: String
    /// `synchronous=FULL`: durable against power loss, not only against a crash of the daemon.
    public var syncFull: Bool = false
    /// The longest a notification waits before its transaction commits.
    public var flushIntervalMs: Int = 50
    /// A transaction commits at once when this many writes are waiting.
    public var maxBatch: Int = 4096
    /// Writers wait (back-pressure) while this many writes are queued.
    public var maxQueued: Int = 65_536
    /// Run states kept in memory between transactions.
    public var maxCachedRuns: Int = 10_000
    /// Keep at most this many log entries per run (debug dropped first, then info); nil = no budget.
    public var maxLogsPerRun: Int64? = nil
    /// The longest one long read (a page of log entries) may take before it is interrupted and
    /// answered "query too expensive"; nil = no budget. Short reads (a run, a list of runs, the
    /// reaper's) have a reader of their own and are never queued behind long ones.
    public var readBudgetMs: Int? = 2000
    /// Who may write to a run and administer the daemon: the daemon's one policy (the server
    /// reads it from the store, ``JobLogStore/permissions``).
    public var permissions: Permissions = .standard()
    /// The idle writer wakes at least this often to call its heartbeat listeners; nil = only
    /// when there is work (see ``JobLogStore/onWriterHeartbeat(_:)``).
    public var heartbeatIntervalMs: Int? = nil
    /// The daemon's name (`--node-name`), recorded as the `node` of every run it starts.
    public var nodeName: String = HostName.current

    public init(path: String) { self.path = path }
}
