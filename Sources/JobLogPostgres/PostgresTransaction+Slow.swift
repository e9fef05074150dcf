import JobLogModel
import JobLogStore
import PostgresNIO

/// The slow flag on PostgreSQL, inside the writer's transaction, as SQLite's `SlowCheck`: the
/// same rows (the last 20 SUCCESS runs of the job before the run, their stages), the same rule and
/// warning (``SlowCheck/warning(_:usual:stageTotals:)``).
extension PostgresTransaction {
    func slowCheck(_ run: RunRecord) throws -> String? {
        guard let finishedAt = run.finishedAt, run.durationMs != nil else { return nil }
        let usual = try execute(PostgresInsightQueries.successRuns(job: run.jobName, excluding: run.id, before: run.id))
            .map(PostgresInsightQueries.successRun)
        guard SlowCheck.isSlow(run, usual: usual) else { return nil }
        let totals = try PostgresInsightQueries.stageTotals(
            try execute(PostgresInsightQueries.stageRows(runs: usual.map(\.id) + [run.id])), now: finishedAt)
        return SlowCheck.warning(run, usual: usual, stageTotals: totals)
    }
}
