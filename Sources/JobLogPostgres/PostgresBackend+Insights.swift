import JobLogModel
import JobLogStore
import PostgresNIO

/// The insight reads on PostgreSQL, through the pool: the same rows as SQLite's, the same
/// arithmetic (``InsightMath``), so the answers are equal on both backends.
extension PostgresBackend {
    public func searchLogs(_ filter: LogSearchFilter) async throws -> [SearchedLog]? {
        if let run = filter.runID, try await read("SELECT 1 FROM runs WHERE id = \(run)").isEmpty { return nil }
        return try await read(PostgresInsightQueries.search(filter)).map(PostgresInsightQueries.searched)
    }

    public func listJobs(prefix: String?, limit: Int) async throws -> [JobSummary] {
        var running: [String: Int64] = [:]
        for row in try await read("SELECT job_name, count(*) FROM runs WHERE status = 'RUNNING' GROUP BY job_name") {
            let (name, count) = try row.decode((String, Int64).self)
            running[name] = count
        }
        return try await read(PostgresInsightQueries.jobs(prefix: prefix, limit: limit)).map {
            try PostgresInsightQueries.job($0, running: running)
        }
    }

    public func jobStats(job: String, last: Int) async throws -> JobStats {
        let recent = try await read(PostgresInsightQueries.finishedRuns(job: job, last: last)).map(
            PostgresInsightQueries.recent)
        let totals = try PostgresInsightQueries.stageTotals(
            try await read(PostgresInsightQueries.stageRows(runs: recent.map(\.id))), now: .now())
        return InsightMath.jobStats(job: job, recent: recent, stageTotals: totals)
    }

    public func compare(run id: Int64, baseline baselineID: Int64?) async throws -> RunComparison? {
        guard let run = try await self.run(id) else { return nil }
        let now = Timestamp.now()
        let label: String
        let baseIDs: [Int64]
        let baseDuration: Int64?
        if let baselineID {
            guard let base = try await self.run(baselineID) else { throw StoreError.unknownRun(baselineID) }
            label = "run \(baselineID)"
            baseIDs = [baselineID]
            baseDuration = base.durationMs ?? max(0, now.milliseconds - base.startedAt.milliseconds)
        } else {
            let usual = try await read(PostgresInsightQueries.successRuns(job: run.jobName, excluding: id)).map(
                PostgresInsightQueries.successRun)
            label = "median of \(usual.count) runs"
            baseIDs = usual.map(\.id)
            baseDuration = Percentiles.median(usual.map(\.durationMs))
        }
        let totals = try PostgresInsightQueries.stageTotals(
            try await read(PostgresInsightQueries.stageRows(runs: baseIDs + [id])), now: now)
        var outcomes: [OutcomeCounters] = []
        if !baseIDs.isEmpty {
            outcomes = try await read("SELECT outcome FROM runs WHERE id = ANY(\(baseIDs))").map {
                OutcomeCounters(jsonText: try $0.decode(String.self))
            }
        }
        return InsightMath.comparison(
            run: run, label: label, baseIDs: baseIDs, baseDuration: baseDuration, baseOutcomes: outcomes,
            stageTotals: totals, now: now)
    }

    /// The median duration of the last 20 SUCCESS runs of `job` before `run`, when it has at least 5.
    public func usualDuration(job: String, before run: Int64) async throws -> Int64? {
        let usual = try await read(PostgresInsightQueries.successRuns(job: job, excluding: run, before: run)).map(
            PostgresInsightQueries.successRun)
        guard usual.count >= SlowCheck.minimumHistory else { return nil }
        return Percentiles.median(usual.map(\.durationMs))
    }
}
