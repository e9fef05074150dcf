import GRDB
import JobLogModel

/// The insight reads: stage timelines, job names, job statistics, run comparisons.
extension SQLiteBackend {
    /// A run's stage timeline, oldest first; nil when the run does not exist.
    public func stages(run: Int64) async throws -> [StageSpan]? {
        try await pool.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run]) != nil else {
                return nil
            }
            return try InsightsQueries.stages(run: run, db)
        }
    }

    /// Job names, the most recently started first; `prefix` filters by the start of the name.
    public func listJobs(prefix: String?, limit: Int) async throws -> [JobSummary] {
        try await pool.read { db in
            var running: [String: Int64] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT job_name, count(*) AS running FROM runs WHERE status = 'RUNNING' GROUP BY job_name")
            {
                running[row["job_name"] as String] = row["running"] as Int64
            }
            var sql = """
                SELECT j.job_name, j.runs, j.last_success_at, r.id AS run_id, r.status, r.started_at, r.finished_at
                FROM job_names j LEFT JOIN runs r ON r.id = j.last_run_id
                """
            var arguments: StatementArguments = []
            if let prefix, !prefix.isEmpty {
                sql += " WHERE substr(j.job_name, 1, length(?1)) = ?1"
                arguments += [prefix]
            }
            sql += " ORDER BY j.last_run_id DESC LIMIT \(max(1, limit))"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let name: String = row["job_name"]
                var last: JobSummary.LastRun?
                if let id = row["run_id"] as Int64? {
                    let started = Timestamp(milliseconds: row["started_at"])
                    last = JobSummary.LastRun(
                        id: id, status: RunStatus(rawValue: row["status"] as String) ?? .running, startedAt: started,
                        durationMs: (row["finished_at"] as Int64?).map { max(0, $0 - started.milliseconds) })
                }
                return JobSummary(
                    jobName: name, runs: row["runs"], running: running[name] ?? 0, lastRun: last,
                    lastSuccessAt: (row["last_success_at"] as Int64?).map(Timestamp.init(milliseconds:)))
            }
        }
    }

    /// Statistics over the last `last` finished runs of `job`.
    public func jobStats(job: String, last: Int) async throws -> JobStats {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, status, started_at, finished_at, outcome FROM runs INDEXED BY runs_by_job
                    WHERE job_name = ? AND status != 'RUNNING' ORDER BY id DESC LIMIT ?
                    """, arguments: [job, last])
            let recent = rows.map { row in
                let started = Timestamp(milliseconds: row["started_at"])
                return JobStats.Recent(
                    id: row["id"], status: RunStatus(rawValue: row["status"] as String) ?? .failed, startedAt: started,
                    durationMs: (row["finished_at"] as Int64?).map { max(0, $0 - started.milliseconds) },
                    outcome: OutcomeCounters(jsonText: row["outcome"]))
            }
            let ids = recent.map(\.id)
            let totals = try InsightsQueries.stageTotals(runs: ids, now: .now(), db)
            return InsightMath.jobStats(job: job, recent: recent, stageTotals: totals)
        }
    }

    /// A run against `baseline` (another run), or against the median of the last 20 SUCCESS runs
    /// of its job. Nil when the run does not exist; throws unknownRun for a missing baseline.
    public func compare(run id: Int64, baseline baselineID: Int64?) async throws -> RunComparison? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(db, sql: "SELECT \(RunRow.columns) FROM runs WHERE id = ?", arguments: [id])
            else {
                return nil
            }
            let run = RunRow.record(row)
            let now = Timestamp.now()
            let label: String
            let baseIDs: [Int64]
            let baseDuration: Int64?
            if let baselineID {
                guard
                    let b = try Row.fetchOne(
                        db, sql: "SELECT \(RunRow.columns) FROM runs WHERE id = ?", arguments: [baselineID])
                else { throw StoreError.unknownRun(baselineID) }
                let base = RunRow.record(b)
                label = "run \(baselineID)"
                baseIDs = [baselineID]
                baseDuration = base.durationMs ?? max(0, now.milliseconds - base.startedAt.milliseconds)
            } else {
                let usual = try InsightsQueries.successRuns(job: run.jobName, excluding: id, db)
                label = "median of \(usual.count) runs"
                baseIDs = usual.map(\.id)
                baseDuration = Percentiles.median(usual.map(\.durationMs))
            }
            let totals = try InsightsQueries.stageTotals(runs: baseIDs + [id], now: now, db)
            var outcomes: [OutcomeCounters] = []
            if !baseIDs.isEmpty {
                let marks = baseIDs.map { _ in "?" }.joined(separator: ",")
                outcomes = try String.fetchAll(
                    db, sql: "SELECT outcome FROM runs WHERE id IN (\(marks))", arguments: StatementArguments(baseIDs)
                ).map(OutcomeCounters.init(jsonText:))
            }
            return InsightMath.comparison(
                run: run, label: label, baseIDs: baseIDs, baseDuration: baseDuration, baseOutcomes: outcomes,
                stageTotals: totals, now: now)
        }
    }

    /// The median duration of the last 20 SUCCESS runs of `job` before `run`, when it has at least 5.
    public func usualDuration(job: String, before run: Int64) async throws -> Int64? {
        try await pool.read { db in
            let usual = try InsightsQueries.successRuns(job: job, excluding: run, before: run, db)
            guard usual.count >= SlowCheck.minimumHistory else { return nil }
            return Percentiles.median(usual.map(\.durationMs))
        }
    }
}
