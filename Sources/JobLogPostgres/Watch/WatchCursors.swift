import JobLogModel

/// The cursors of the runs a ``PostgresWatchFeed`` follows, and which runs it must look at next.
/// Bounded: a run's cursor is forgotten once its end was told, and past ``maxRuns`` the least
/// recently changed ones go (a forgotten run that moves again is picked up from where the
/// database is then, not told from its start again).
struct WatchCursors {
    /// Runs followed at once.
    static let maxRuns = 10_000
    /// Forgotten run ids remembered (so their late notifications start nothing new).
    static let maxForgotten = 16_384
    /// Runs waiting for a look; past it the next look sweeps every run instead.
    static let maxPending = 10_000
    /// Cancel requests this daemon's own writer committed, per run (for runs not followed).
    static let maxLocalCancels = 4096

    var runs: [Int64: RunCursor] = [:]
    var pending: Set<Int64> = []
    /// The next look also reads every RUNNING run of other nodes and every run started since.
    var sweep = true
    /// Runs whose id is at most this existed when the feed started: never told from their start.
    var floor: Int64 = 0
    /// Whether ``floor`` was read (on the feed's first connection).
    var floorTaken = false
    /// The highest run id looked at (a sweep reads the runs above it too).
    var highWater: Int64 = 0
    var forgotten: Set<Int64> = []
    private var forgottenOrder: [Int64] = []
    var localCancels: Set<Int64> = []
    private var localCancelOrder: [Int64] = []
    var looks: UInt64 = 0

    /// A notification from another node named these runs.
    mutating func note(_ ids: [Int64]) {
        guard !sweep else { return }
        pending.formUnion(ids)
        if pending.count > Self.maxPending {
            pending.removeAll()
            sweep = true
        }
    }

    mutating func forget(_ id: Int64) {
        runs[id] = nil
        guard forgotten.insert(id).inserted else { return }
        forgottenOrder.append(id)
        if forgottenOrder.count > Self.maxForgotten {
            forgotten.remove(forgottenOrder.removeFirst())
        }
    }

    /// Keeps at most ``maxRuns`` cursors: the least recently changed tenth goes when over.
    mutating func trim() {
        guard runs.count > Self.maxRuns else { return }
        let oldest = runs.sorted { $0.value.touched < $1.value.touched }.prefix(runs.count - Self.maxRuns * 9 / 10)
        for (id, _) in oldest { forget(id) }
    }

    /// What this daemon's writer committed: followed runs move with it.
    mutating func observe(_ events: [CommittedEvent]) {
        for event in events {
            if case .cancelRequested = event.kind, localCancels.insert(event.runID).inserted {
                localCancelOrder.append(event.runID)
                if localCancelOrder.count > Self.maxLocalCancels {
                    localCancels.remove(localCancelOrder.removeFirst())
                }
            }
            guard runs[event.runID] != nil else { continue }
            runs[event.runID]?.observe(event)
            if case .finished = event.kind { forget(event.runID) }
        }
    }

    /// How a run read by a look is followed from now on.
    enum Start {
        /// Followed already.
        case followed
        /// Started elsewhere since the feed began: told from its start.
        case fresh
        /// Followed from now on, without its past.
        case baseline
        /// Not followed (its end was told, or it ended before the feed began).
        case skip
    }

    func start(for run: RunRecord, ownNode: String) -> Start {
        if runs[run.id] != nil { return .followed }
        let running = run.status == .running
        // This daemon's own runs are told locally; another node's write is caught from here on.
        if run.node == ownNode { return running ? .baseline : .skip }
        if forgotten.contains(run.id) || run.id <= floor { return running ? .baseline : .skip }
        return .fresh
    }
}
