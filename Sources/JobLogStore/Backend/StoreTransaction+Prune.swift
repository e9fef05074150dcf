import JobLogModel

extension StoreTransaction {
    /// One bounded step of retention, at most `maxRows` rows: first the logs of runs already
    /// pruned (an earlier step, or one a crash interrupted), then whole runs, oldest first. A run's
    /// row is deleted first, in the same transaction as its pruned mark; its logs follow, in this
    /// step or the next ones. So no reader ever sees a run whose counts do not match its rows.
    func pruneStep(before cutoff: Timestamp, status: RunStatus?, maxRows: Int) throws -> PruneStep {
        var budget = maxRows
        var step = PruneStep(runs: 0, logs: 0, complete: false, prunedRunIDs: [])
        // 1. Logs left of runs already pruned.
        let pending = try prunedRunsWithLogs(limit: 100)
        for id in pending {
            let n = try deletePrunedLogs(of: id, upTo: budget)
            step.logs += Int64(n)
            budget -= n
            if budget <= 0 { break }
        }
        // 2. New runs, while the budget lasts.
        var candidates = 0
        if budget > 0 {
            let runs = try pruneCandidates(before: cutoff, status: status, limit: 100)
            candidates = runs.count
            for run in runs {
                try deletePrunedRun(run.id, job: run.job)
                step.prunedRunIDs.append(run.id)
                step.runs += 1
                budget -= 1
                if budget <= 0 { break }
                let n = try deletePrunedLogs(of: run.id, upTo: budget)
                step.logs += Int64(n)
                budget -= n
                if budget <= 0 { break }
            }
        }
        step.complete = pending.isEmpty && candidates == 0
        return step
    }
}
