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
            return Self.stats(job: job, recent: recent, stageTotals: totals)
        }
    }

    /// The statistics of runs given newest first (with their stage totals).
    static func stats(job: String, recent: [JobStats.Recent], stageTotals: [Int64: [(String, Int64)]]) -> JobStats {
        let byStatus = RunStatus.allCases.compactMap { status -> (status: RunStatus, count: Int64)? in
            let n = Int64(recent.count { $0.status == status })
            return n > 0 ? (status, n) : nil
        }
        let successes = recent.count { $0.status == .success }
        var stageNames: [String] = []
        var stageValues: [String: [Int64]] = [:]
        for run in recent {
            for (stage, ms) in stageTotals[run.id] ?? [] {
                if stageValues[stage] == nil { stageNames.append(stage) }
                stageValues[stage, default: []].append(ms)
            }
        }
        var counterValues: [String: [Int64]] = [:]
        for run in recent {
            for (key, count) in run.outcome.entries { counterValues[key, default: []].append(count) }
        }
        let counters = counterValues.keys.sorted().map { key in
            let values = counterValues[key] ?? []
            return JobStats.Counter(
                key: key, last: recent.first?.outcome[key], median: Percentiles.median(values) ?? 0,
                min: values.min() ?? 0, max: values.max() ?? 0)
        }
        return JobStats(
            jobName: job, runs: Int64(recent.count), byStatus: byStatus,
            successRate: recent.isEmpty ? nil : Double(successes) / Double(recent.count),
            durationMs: JobStats.Spread(recent.compactMap(\.durationMs)),
            stageDurationsMs: stageNames.map { name in
                let v = (stageValues[name] ?? []).sorted()
                return (name, Percentiles.sortedValue(v, 0.5) ?? 0, Percentiles.sortedValue(v, 0.95) ?? 0)
            },
            outcome: counters, recent: Array(recent.prefix(20)))
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
            let runDuration = run.durationMs ?? max(0, now.milliseconds - run.startedAt.milliseconds)
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
            let baseStages = InsightsQueries.medianStages(totals, order: baseIDs)
            let runStages = totals[id] ?? []
            var stageRows = runStages.map { stage, ms in
                RunComparison.Row(name: stage, run: ms, baseline: baseStages.first { $0.0 == stage }?.1)
            }
            for (stage, ms) in baseStages where !runStages.contains(where: { $0.0 == stage }) {
                stageRows.append(RunComparison.Row(name: stage, run: nil, baseline: ms))
            }
            var counters: [String: [Int64]] = [:]
            if !baseIDs.isEmpty {
                let marks = baseIDs.map { _ in "?" }.joined(separator: ",")
                for text in try String.fetchAll(
                    db, sql: "SELECT outcome FROM runs WHERE id IN (\(marks))", arguments: StatementArguments(baseIDs))
                {
                    for (key, count) in OutcomeCounters(jsonText: text).entries {
                        counters[key, default: []].append(count)
                    }
                }
            }
            var keys = run.outcome.entries.map(\.key)
            for key in counters.keys.sorted() where !keys.contains(key) { keys.append(key) }
            let outcomeRows = keys.map { key in
                RunComparison.Row(
                    name: key, run: run.outcome[key], baseline: counters[key].flatMap { Percentiles.median($0) })
            }
            func size(_ r: RunComparison.Row) -> Int64 { r.delta == Int64.min ? Int64.max : abs(r.delta) }
            return RunComparison(
                baseline: label, duration: RunComparison.Row(name: "", run: runDuration, baseline: baseDuration),
                stages: stageRows.enumerated().sorted { a, b in
                    size(a.element) != size(b.element) ? size(a.element) > size(b.element) : a.offset < b.offset
                }.map(\.element),
                outcome: outcomeRows.enumerated().sorted { a, b in
                    size(a.element) != size(b.element) ? size(a.element) > size(b.element) : a.offset < b.offset
                }.map(\.element))
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
