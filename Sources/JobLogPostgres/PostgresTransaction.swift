import JobLogModel
import JobLogStore
import Logging
import NIOCore
import PostgresNIO

/// One open write transaction on the PostgreSQL store, used on the writer thread only: each
/// statement is sent on the writer's connection and waited for (``BlockingBridge``).
///
/// Batching: log entries are not inserted one by one. Their ids come from `logs_id_seq`, a few at
/// a time (one `nextval` query hands out a block, see ``reserveLogID()``), and the rows wait in
/// ``pending`` until the commit (or a statement that must see them) writes them with one multi-row
/// `INSERT`. So a transaction of N entries costs about log2(N) + N/1000 round trips for its logs.
public final class PostgresTransaction: StoreTransaction {
    /// Log ids handed out one `nextval` per entry for the first entries of a transaction, so a
    /// small transaction leaves no gap in the ids; past them, blocks that double (up to 1,024).
    static let exactIDs = 8
    static let maxBlock = 1024
    /// Rows per multi-row `INSERT` (7 parameters each, PostgreSQL allows 65,535).
    static let insertChunk = 1000

    struct PendingLog {
        var id: Int64
        var run: Int64
        var level: LogLevel
        var stage: String?
        var message: String
        var context: String
        var createdAt: Int64
    }

    private let connection: PostgresConnection
    private let logger: Logger
    private let timeout: Duration
    private var pending: [PendingLog] = []
    private var reserved: [Int64] = []
    private var reservedUsed = 0
    private var idsUsed = 0
    /// Runs this transaction inserted or updated, told to the other daemons at commit (``notifyChanged(node:)``).
    var changedRuns: Set<Int64> = []

    init(connection: PostgresConnection, logger: Logger, timeout: Duration) {
        self.connection = connection
        self.logger = logger
        self.timeout = timeout
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> [PostgresRow] {
        let connection = connection
        let logger = logger
        return try BlockingBridge.wait(
            timeout: timeout, abandonIf: { connection.isClosed },
            { try await connection.query(query, logger: logger).collect() })
    }

    /// Writes the entries waiting for the commit.
    func flush() throws {
        while !pending.isEmpty {
            let chunk = pending.prefix(Self.insertChunk)
            var sql = "INSERT INTO logs (id, run_id, level, stage, message, context, created_at) VALUES "
            var binds = PostgresBindings(capacity: chunk.count * 7)
            for (i, row) in chunk.enumerated() {
                let n = i * 7
                sql += i == 0 ? "" : ", "
                sql += "($\(n + 1), $\(n + 2), $\(n + 3), $\(n + 4), $\(n + 5), $\(n + 6), $\(n + 7))"
                binds.append(row.id)
                binds.append(row.run)
                binds.append(Int64(row.level.rawValue))
                binds.append(row.stage.map(Self.text))
                binds.append(ByteBuffer(string: row.message))
                binds.append(Self.text(row.context))
                binds.append(row.createdAt)
            }
            try execute(PostgresQuery(unsafeSQL: sql, binds: binds))
            pending.removeFirst(chunk.count)
        }
    }

    /// PostgreSQL's `text` refuses U+0000: a name or label holding it is stored with U+FFFD
    /// instead (the free texts that must come back exact are `bytea`).
    static func text(_ value: String) -> String {
        value.contains("\u{0}") ? value.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : value
    }

    /// The next log id: from the reserved block, or a new block from the sequence.
    private func reserveLogID() throws -> Int64 {
        if reservedUsed == reserved.count {
            let count = idsUsed < Self.exactIDs ? 1 : min(Self.maxBlock, idsUsed)
            reserved = try execute(
                "SELECT nextval('logs_id_seq') FROM generate_series(1, \(Int64(count)))"
            ).map { try $0.decode(Int64.self) }.sorted()
            reservedUsed = 0
        }
        let id = reserved[reservedUsed]
        reservedUsed += 1
        idsUsed += 1
        return id
    }

    /// The id the next log entry of this transaction will get (reserved, not used).
    private func peekLogID() throws -> Int64 {
        let id = try reserveLogID()
        reservedUsed -= 1
        idsUsed -= 1
        return id
    }

    // MARK: - StoreTransaction

    /// Locked until the commit (`FOR UPDATE`): another daemon's writer waits for this one.
    public func loadRun(_ id: Int64) throws -> RunRecord? {
        try execute("SELECT * FROM runs WHERE id = \(id) FOR UPDATE").first.map(PostgresRows.run)
    }

    /// One statement, the rows locked in id order until the commit: writers of several daemons
    /// take turns on a run (the row each writes back is computed from the row as the previous one
    /// committed it) and never wait for each other in a cycle on run rows.
    public func loadRuns(_ ids: [Int64]) throws -> [RunRecord] {
        try execute("SELECT * FROM runs WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE").map(PostgresRows.run)
    }

    public func insertRun(_ new: NewRun, at now: Timestamp) throws -> Int64 {
        let rows = try execute(
            """
            INSERT INTO runs (job_name, status, trigger, scope, algorithm_version, params, started_at,
                last_heartbeat_at, owner_pid, owner_uid, owner_start_time, heartbeat_timeout_ms, stall_after_ms,
                node)
            VALUES (\(Self.text(new.jobName)), 'RUNNING', \(Self.text(new.trigger)), \(Self.text(new.scope)),
                \(new.algorithmVersion.map(Self.text)), \(Self.text(new.params)), \(now.milliseconds),
                \(now.milliseconds), \(new.ownerPid), \(new.ownerUid), \(new.ownerStartTime),
                \(new.heartbeatTimeoutMs), \(new.stallAfterMs), \(new.node.map(Self.text)))
            RETURNING id
            """)
        guard let id = try rows.first?.decode(Int64.self) else {
            throw StoreError.unavailable("PostgreSQL returned no run id")
        }
        changedRuns.insert(id)
        try execute(
            """
            INSERT INTO job_names (job_name, runs, last_run_id) VALUES (\(Self.text(new.jobName)), 1, \(id))
            ON CONFLICT (job_name) DO UPDATE SET runs = job_names.runs + 1,
                last_run_id = greatest(job_names.last_run_id, excluded.last_run_id)
            """)
        return id
    }

    public func updateRun(_ r: RunRecord) throws {
        changedRuns.insert(r.id)
        try execute(
            """
            UPDATE runs SET status = \(r.status.rawValue), stage = \(r.currentStage.map(Self.text)),
                progress_current = \(r.progressCurrent), progress_total = \(r.progressTotal),
                unit = \(r.unit.map(Self.text)),
                outcome = \(r.outcome.entries.isEmpty ? "{}" : r.outcome.jsonText),
                saved_outcome = \(r.savedOutcome.entries.isEmpty ? "{}" : r.savedOutcome.jsonText),
                finished_at = \(r.finishedAt?.milliseconds), last_heartbeat_at = \(r.lastHeartbeatAt.milliseconds),
                error_message = \(r.errorMessage.map { ByteBuffer(string: $0) }),
                error_stack = \(r.errorStack.map { ByteBuffer(string: $0) }),
                log_debug = \(r.logCounts.debug), log_info = \(r.logCounts.info),
                log_milestone = \(r.logCounts.milestone), log_warning = \(r.logCounts.warning),
                log_error = \(r.logCounts.error), dropped_debug = \(r.droppedLogCounts.debug),
                dropped_info = \(r.droppedLogCounts.info), rejected_count = \(r.rejectedCount),
                last_rejection = \(r.lastRejection.map(Self.text)),
                cancel_requested_at = \(r.cancelRequestedAt?.milliseconds),
                cancel_reason = \(r.cancelReason.map(Self.text)), stalled_since = \(r.stalledSince?.milliseconds),
                slow = \(r.slow)
            WHERE id = \(r.id)
            """)
    }

    public func appendLog(
        run: Int64, stage: String?, level: LogLevel, message: String, context: String, at: Timestamp
    ) throws -> Int64 {
        let id = try reserveLogID()
        pending.append(
            PendingLog(
                id: id, run: run, level: level, stage: stage, message: message, context: context,
                createdAt: at.milliseconds))
        return id
    }

    public func dropOldestLog(run: Int64, level: LogLevel) throws {
        try flush()
        try execute(
            """
            DELETE FROM logs WHERE id = (
                SELECT id FROM logs WHERE run_id = \(run) AND level = \(Int64(level.rawValue)) ORDER BY id LIMIT 1)
            """)
    }

    public func beginStage(run: Int64, stage: String, message: String, at: Timestamp, progress: Int64) throws {
        let count = try execute("SELECT count(*) FROM stages WHERE run_id = \(run)").first?.decode(Int64.self) ?? 0
        guard count < 1000 else { return }
        try endStage(run: run, at: at, progress: progress)
        // The stage's place among the run's entries: the id its `Stage: …` entry (written next) gets.
        let position = try peekLogID()
        try execute(
            """
            INSERT INTO stages (run_id, stage, message, started_at, progress_start, log_position)
            VALUES (\(run), \(Self.text(stage)), \(Self.text(message)), \(at.milliseconds), \(progress), \(position))
            """)
    }

    public func endStage(run: Int64, at: Timestamp, progress: Int64) throws {
        try execute(
            """
            UPDATE stages SET finished_at = greatest(started_at, \(at.milliseconds)), progress_end = \(progress)
            WHERE run_id = \(run) AND finished_at IS NULL
            """)
    }

    public func jobSucceeded(job: String, at: Timestamp) throws {
        try execute(
            """
            UPDATE job_names SET last_success_at = greatest(coalesce(last_success_at, 0), \(at.milliseconds))
            WHERE job_name = \(Self.text(job))
            """)
    }

    /// The slow flag's warning (``slowCheck(_:)``).
    public func slowWarning(_ run: RunRecord) throws -> String? { try slowCheck(run) }

    /// PostgreSQL's autovacuum returns space; nothing to do here.
    public func vacuum(pages: Int) throws -> Int64 { 0 }

    public func session(_ id: String) throws -> StoredSession? {
        try execute("SELECT applied, touched_at FROM sessions WHERE id = \(Self.text(id))").first.map {
            let (applied, touched) = try $0.decode((Int64, Int64).self)
            return StoredSession(id: id, applied: applied, touchedAt: touched)
        }
    }

    public func saveSession(_ session: StoredSession) throws {
        try execute(
            """
            INSERT INTO sessions (id, applied, touched_at)
            VALUES (\(Self.text(session.id)), \(session.applied), \(session.touchedAt))
            ON CONFLICT (id) DO UPDATE SET applied = excluded.applied, touched_at = excluded.touched_at
            """)
    }

    public func forgetSessions(before: Int64) throws -> Int64 {
        Int64(try execute("DELETE FROM sessions WHERE touched_at < \(before) RETURNING 1").count)
    }

    public func prunedRunsWithLogs(limit: Int) throws -> [Int64] {
        try flush()
        return try execute("SELECT run_id FROM pruned_runs ORDER BY run_id LIMIT \(Int64(limit))").map {
            try $0.decode(Int64.self)
        }
    }

    public func pruneCandidates(before cutoff: Timestamp, status: RunStatus?, limit: Int) throws
        -> [(id: Int64, job: String)]
    {
        try flush()
        return try execute(
            """
            SELECT id, job_name FROM runs WHERE status != 'RUNNING' AND finished_at < \(cutoff.milliseconds)
                AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY id LIMIT \(Int64(limit))
            """
        ).map { row in
            let (id, job) = try row.decode((Int64, String).self)
            return (id, job)
        }
    }

    public func deletePrunedRun(_ id: Int64, job: String) throws {
        try flush()
        try execute("DELETE FROM runs WHERE id = \(id)")
        try execute("DELETE FROM stages WHERE run_id = \(id)")
        try execute(
            """
            UPDATE job_names SET runs = runs - 1,
                last_run_id = coalesce((SELECT max(id) FROM runs WHERE job_name = \(job)), last_run_id)
            WHERE job_name = \(job)
            """)
        try execute("DELETE FROM job_names WHERE job_name = \(job) AND runs <= 0")
        try execute("INSERT INTO pruned_runs (run_id) VALUES (\(id)) ON CONFLICT DO NOTHING")
    }

    public func deletePrunedLogs(of id: Int64, upTo limit: Int) throws -> Int {
        try flush()
        let n = try execute(
            """
            DELETE FROM logs WHERE id IN (
                SELECT id FROM logs WHERE run_id = \(id) ORDER BY level, id LIMIT \(Int64(limit)))
            RETURNING 1
            """
        ).count
        if n < limit { try execute("DELETE FROM pruned_runs WHERE run_id = \(id)") }
        return n
    }
}
