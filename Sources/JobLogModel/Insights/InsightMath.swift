/// The arithmetic of the insight reads, shared by every store backend: each backend reads the
/// same few rows (the last runs of a job, their stage rows, their outcomes) and hands them here,
/// so `getJobStats`, `compareRuns` and the slow flag give the same numbers on SQLite and PostgreSQL.
public enum InsightMath {
    /// Per run, the total time spent in each stage name, in order of first appearance.
    public typealias StageTotals = [Int64: [(String, Int64)]]

    /// Adds one stage row (rows of a run in id order) to `totals`; an open stage counts up to `now`.
    public static func addStage(
        _ totals: inout StageTotals, run: Int64, stage: String, startedAt: Int64, finishedAt: Int64?, now: Timestamp
    ) {
        let duration = max(0, (finishedAt ?? now.milliseconds) - startedAt)
        if let i = totals[run]?.firstIndex(where: { $0.0 == stage }) {
            totals[run]?[i].1 += duration
        } else {
            totals[run, default: []].append((stage, duration))
        }
    }

    /// Per stage name, the median total over the runs that had it (in order of first appearance).
    public static func medianStages(_ totals: StageTotals, order: [Int64]) -> [(String, Int64)] {
        var names: [String] = []
        var values: [String: [Int64]] = [:]
        for run in order {
            for (stage, ms) in totals[run] ?? [] {
                if values[stage] == nil { names.append(stage) }
                values[stage, default: []].append(ms)
            }
        }
        return names.map { ($0, Percentiles.median(values[$0] ?? []) ?? 0) }
    }

    /// The statistics of runs given newest first (with their stage totals).
    public static func jobStats(job: String, recent: [JobStats.Recent], stageTotals: StageTotals) -> JobStats {
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

    /// `run` against its baseline: `baseIDs` (one run, or the usual runs newest first) with their
    /// duration (`baseDuration`: that run's, or the median), outcomes and the stage totals of the
    /// baseline runs and of `run`. Stages and counters are ordered by the size of the change.
    public static func comparison(
        run: RunRecord, label: String, baseIDs: [Int64], baseDuration: Int64?, baseOutcomes: [OutcomeCounters],
        stageTotals: StageTotals, now: Timestamp
    ) -> RunComparison {
        let runDuration = run.durationMs ?? max(0, now.milliseconds - run.startedAt.milliseconds)
        let baseStages = medianStages(stageTotals, order: baseIDs)
        let runStages = stageTotals[run.id] ?? []
        var stageRows = runStages.map { stage, ms in
            RunComparison.Row(name: stage, run: ms, baseline: baseStages.first { $0.0 == stage }?.1)
        }
        for (stage, ms) in baseStages where !runStages.contains(where: { $0.0 == stage }) {
            stageRows.append(RunComparison.Row(name: stage, run: nil, baseline: ms))
        }
        var counters: [String: [Int64]] = [:]
        for outcome in baseOutcomes {
            for (key, count) in outcome.entries { counters[key, default: []].append(count) }
        }
        var keys = run.outcome.entries.map(\.key)
        for key in counters.keys.sorted() where !keys.contains(key) { keys.append(key) }
        let outcomeRows = keys.map { key in
            RunComparison.Row(
                name: key, run: run.outcome[key], baseline: counters[key].flatMap { Percentiles.median($0) })
        }
        return RunComparison(
            baseline: label, duration: RunComparison.Row(name: "", run: runDuration, baseline: baseDuration),
            stages: bySizeOfChange(stageRows), outcome: bySizeOfChange(outcomeRows))
    }

    /// Largest |delta| first (a delta that overflows counts as the largest); ties keep their order.
    static func bySizeOfChange(_ rows: [RunComparison.Row]) -> [RunComparison.Row] {
        func size(_ r: RunComparison.Row) -> Int64 { r.delta == Int64.min ? Int64.max : abs(r.delta) }
        return rows.enumerated().sorted { a, b in
            size(a.element) != size(b.element) ? size(a.element) > size(b.element) : a.offset < b.offset
        }.map(\.element)
    }
}
