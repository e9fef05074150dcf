import JobLogJSON
import JobLogModel
import JobLogStore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Watching across hosts (issue 17): feeds this daemon's watchers with what the other daemons on
/// the same PostgreSQL database commit.
///
/// Every commit on PostgreSQL sends a `NOTIFY` naming the runs it changed (``PostgresNotify``).
/// The feed `LISTEN`s on a connection of its own; on a notification from another node it looks
/// at those runs in the database, in one snapshot, from its cursor per run (``RunCursor``): the
/// log entries after the last one told, the stage rows after the last one, the run row. It
/// turns them into the events a local commit makes and hands them to `deliver` (the watch hub
/// and the cancel path), in commit order per run. Notifications are not stored: on every
/// (re)connect and every ``sweepInterval`` a sweep also looks at every RUNNING run of the other
/// nodes, every followed run, and every run started since, so a missed notification is caught
/// up by cursor.
///
/// It listens only while `watching()` says this daemon has watchers, and marks its node
/// `listening` in `nodes` meanwhile; the other daemons notify only while some node listens
/// (each notification wakes every listening connection of the database, a transaction each).
/// Without watchers the feed sweeps only, which is enough for what needs no watcher: a cancel
/// request another node stored reaches this node's jobs within one ``sweepInterval``.
public final class PostgresWatchFeed: Sendable {
    /// How often every run is looked at even without a notification.
    public static let defaultSweepInterval: Duration = .seconds(2)
    /// Runs whose entries one query reads; entries per run per look.
    static let runsPerQuery = 100
    static let logsPerRun = 500
    /// The shortest time between two looks (so at most 100 look transactions a second, however
    /// many nodes write; a watcher waits at most this much longer).
    static let minLookInterval: Duration = .milliseconds(10)
    /// How often the feed checks whether watchers came or went.
    static let watchersCheck: Duration = .milliseconds(100)
    /// The longest wait between two attempts to reconnect.
    static let maxBackoff: Duration = .seconds(5)

    private let configuration: Result<PostgresConnection.Configuration, any Error>
    private let node: String
    private let store: JobLogStore
    let logger: Logger
    private let sweepInterval: Duration
    private let watching: @Sendable () -> Bool
    private let deliver: @Sendable (_ events: [CommittedEvent], _ ownRuns: Set<Int64>) -> Void
    private let state = Mutex(WatchCursors())

    /// - Parameters:
    ///   - node: this daemon's `--node-name` (its own notifications are ignored).
    ///   - watching: whether this daemon has watchers now (the feed listens only then).
    ///   - deliver: called with the events of each look, and which of their runs this node started.
    public init(
        url: PostgresStoreURL, node: String, store: JobLogStore, logger: Logger,
        sweepInterval: Duration = PostgresWatchFeed.defaultSweepInterval,
        watching: @escaping @Sendable () -> Bool = { true },
        deliver: @escaping @Sendable (_ events: [CommittedEvent], _ ownRuns: Set<Int64>) -> Void
    ) {
        // The store opened with the same URL, so its TLS settings were already found usable.
        configuration = Result {
            PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                tls: try url.tls())
        }
        self.node = PostgresTransaction.text(node)
        self.store = store
        self.logger = logger
        self.sweepInterval = sweepInterval
        self.watching = watching
        self.deliver = deliver
        store.onCommit { [weak self] events in self?.state.withLock { $0.observe(events) } }
    }

    /// Runs followed now (for tests and metrics).
    public var followedRuns: Int { state.withLock { $0.runs.count } }

    /// Listens until cancelled, reconnecting with backoff (100 ms doubling up to 5 s).
    public func run() async {
        let configuration: PostgresConnection.Configuration
        switch self.configuration {
        case .success(let value): configuration = value
        case .failure(let error):
            logger.error("cross-node watch: no TLS configuration", metadata: ["error": "\(error)"])
            return
        }
        var backoff: Duration = .milliseconds(100)
        while !Task.isCancelled {
            let began = ContinuousClock.now
            do {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1,
                    logger: logger
                ).get()
                do {
                    // Given up as soon as the connection is closed: see GuardedAwait.
                    try await GuardedAwait.value(
                        abandonIf: { connection.isClosed },
                        { [self] in
                            try await startFloor(connection)
                            try await follow(connection)
                        })
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                if ContinuousClock.now - began > .seconds(10) { backoff = .milliseconds(100) }
                logger.warning(
                    "cross-node watch: no PostgreSQL listener, retrying",
                    metadata: ["error": "\(PostgresStoreError.reason(error))", "retryIn": "\(backoff)"])
                state.withLock { $0.sweep = true }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, Self.maxBackoff)
            }
        }
    }

    /// Runs that exist before the feed starts are never told from their start (taken once, on
    /// the first connection).
    private func startFloor(_ connection: PostgresConnection) async throws {
        guard !state.withLock({ $0.floorTaken }) else { return }
        let rows = try await connection.query(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM runs_id_seq", logger: logger
        ).collect()
        let floor = try rows.first?.decode(Int64.self) ?? 0
        state.withLock {
            $0.floor = floor
            $0.highWater = floor
            $0.floorTaken = true
        }
    }

    /// Listens while this daemon has watchers and only sweeps while it has none, marking the node
    /// `listening` accordingly, until the connection fails.
    private func follow(_ connection: PostgresConnection) async throws {
        var marked: Bool?
        while !Task.isCancelled {
            let listening = watching()
            if marked != listening {
                _ = try await query(connection, "UPDATE nodes SET listening = \(listening) WHERE name = \(node)")
                marked = listening
            }
            if listening {
                try await connection.listen(on: PostgresNotify.channel) { notifications in
                    try await self.lookLoop(connection, notifications: notifications)
                }
            } else {
                try await lookLoop(connection, notifications: nil)
            }
        }
    }

    /// Looks on each notification (when listening: `notifications` given) and each sweep, until
    /// `watching()` changes.
    private func lookLoop(_ connection: PostgresConnection, notifications: PostgresNotificationSequence?)
        async throws
    {
        let listening = notifications != nil
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let notifications {
                group.addTask { [self] in
                    for try await notification in notifications where noted(notification.payload) {
                        wake.yield()
                    }
                    throw ListenerEnded()
                }
            }
            group.addTask { [self] in
                var sinceSweep: Duration = .zero
                while true {
                    try await Task.sleep(for: Self.watchersCheck)
                    sinceSweep += Self.watchersCheck
                    if sinceSweep >= sweepInterval {
                        sinceSweep = .zero
                        state.withLock { $0.sweep = true }
                        wake.yield()
                    } else if watching() != listening {
                        wake.yield()
                    }
                }
            }
            // The only task that uses the connection: it ends between two looks, never inside one.
            // Looks are at least `minLookInterval` apart: the notifications of many busy nodes
            // gather meanwhile and are read in one snapshot (each look is a transaction).
            group.addTask { [self] in
                state.withLock { $0.sweep = true }
                try await catchUp(connection)
                var lastLook = ContinuousClock.now
                for await _ in wakeups {
                    if watching() != listening { return }
                    let next = lastLook + Self.minLookInterval
                    if next > .now { try await Task.sleep(until: next) }
                    lastLook = .now
                    try await catchUp(connection)
                }
            }
            defer { group.cancelAll() }
            _ = try await group.next()
        }
    }

    /// Notes the runs of another node's notification; true when there is something to look at.
    private func noted(_ payload: String) -> Bool {
        guard let (from, runs) = PostgresNotify.parse(payload), from != node else { return false }
        state.withLock { $0.note(runs) }
        return true
    }

    /// Looks until nothing is pending.
    private func catchUp(_ connection: PostgresConnection) async throws {
        while true {
            let (notified, ids, sweep, highWater) = state.withLock { s in
                let notified = s.pending
                let ids = Array(s.pending) + (s.sweep ? Array(s.runs.keys) : [])
                s.pending.removeAll()
                defer { s.sweep = false }
                return (notified, ids, s.sweep, s.highWater)
            }
            if ids.isEmpty, !sweep { return }
            try await look(connection, ids: ids, notified: notified, sweep: sweep, highWater: highWater)
        }
    }

    // MARK: - One look

    struct Planned {
        var run: RunRecord
        var start: WatchCursors.Start
        var afterLog: Int64
        var afterStage: Int64
        /// Followed, not notified, and its row shows no new entry or stage: nothing to read.
        var unchanged = false
    }

    /// Reads the runs (and what they need) in one snapshot, then tells what changed.
    private func look(
        _ connection: PostgresConnection, ids: [Int64], notified: Set<Int64>, sweep: Bool, highWater: Int64
    ) async throws {
        let level = store.logEventLevel
        try await query(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        var looks: [Int64: RunCursor.Look] = [:]
        var planned: [Planned] = []
        var baselineIDs: [Int64: (log: Int64, stage: Int64)] = [:]
        do {
            let rows = try await query(
                connection,
                """
                SELECT * FROM runs WHERE id = ANY(\(ids)) OR (\(sweep) AND (
                    (node IS DISTINCT FROM \(node) AND (status = 'RUNNING' OR id > \(highWater)))
                    OR (node = \(node) AND status = 'RUNNING' AND cancel_requested_at IS NOT NULL)))
                """)
            let runs = try rows.map(PostgresRows.run)
            planned = state.withLock { s in
                runs.map { run in
                    let start = s.start(for: run, ownNode: node)
                    let cursor = s.runs[run.id]
                    var plan = Planned(
                        run: run, start: start, afterLog: cursor?.lastLogID ?? 0, afterStage: cursor?.lastStageID ?? 0)
                    plan.unchanged =
                        start == .followed && !notified.contains(run.id) && cursor?.mark == RunCursor.Mark(run)
                    return plan
                }
            }
            let told = planned.filter { $0.start == .followed || $0.start == .fresh }
            for p in told { looks[p.run.id] = RunCursor.Look(run: p.run) }
            for chunk in told.filter({ !$0.unchanged }).chunks(Self.runsPerQuery) {
                try await readLogs(connection, chunk, level: level, into: &looks)
                try await readStages(connection, chunk, into: &looks)
            }
            let baselines = planned.filter { $0.start == .baseline }.map(\.run.id)
            if !baselines.isEmpty { baselineIDs = try await newestIDs(connection, baselines) }
            try await query(connection, "COMMIT")
        } catch {
            _ = try? await query(connection, "ROLLBACK")
            throw error
        }
        var events: [CommittedEvent] = []
        var own: Set<Int64> = []
        state.withLock { s in
            s.looks += 1
            for p in planned {
                let id = p.run.id
                s.highWater = max(s.highWater, id)
                if p.run.node == node { own.insert(id) }
                switch p.start {
                case .skip:
                    continue
                case .baseline:
                    guard s.runs[id] == nil else { continue }
                    let newest = baselineIDs[id] ?? (0, 0)
                    var cursor = RunCursor(
                        baseline: p.run, lastLogID: newest.log, lastStageID: newest.stage, cancelKnown: true)
                    // A cancel request another node stored for this node's own run still goes to its job.
                    if p.run.node == node, !s.localCancels.contains(id) { cursor.cancelRequested = false }
                    cursor.touched = s.looks
                    var look = RunCursor.Look(run: p.run)
                    look.newestLogID = newest.log
                    events += cursor.advance(look)
                    s.runs[id] = cursor
                case .fresh:
                    guard s.runs[id] == nil, let look = looks[id] else { continue }
                    var cursor = RunCursor(fresh: p.run)
                    events.append(
                        CommittedEvent(runID: id, jobName: p.run.jobName, at: p.run.startedAt, kind: .started))
                    events += advance(&cursor, look, &s)
                case .followed:
                    guard var cursor = s.runs[id], let look = looks[id] else { continue }
                    events += advance(&cursor, look, &s)
                }
            }
            s.trim()
        }
        if !events.isEmpty { deliver(events, own) }
    }

    /// Moves a cursor over a look and files it (forgotten once the run's end was told).
    private func advance(_ cursor: inout RunCursor, _ look: RunCursor.Look, _ s: inout WatchCursors)
        -> [CommittedEvent]
    {
        let before = (cursor.lastLogID, cursor.lastStageID, cursor.status)
        let events = cursor.advance(look)
        if !events.isEmpty || before != (cursor.lastLogID, cursor.lastStageID, cursor.status) {
            cursor.touched = s.looks
        }
        if look.logsComplete {
            cursor.mark = RunCursor.Mark(look.run)
        } else {
            s.pending.insert(look.run.id)
        }
        if cursor.status != .running {
            s.forget(look.run.id)
        } else {
            s.runs[look.run.id] = cursor
        }
        return events
    }
}

/// The notification stream ended (the connection closed).
private struct ListenerEnded: Error, CustomStringConvertible {
    var description: String { "the LISTEN connection closed" }
}
