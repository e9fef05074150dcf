import GRDB
import JobLogModel

/// The slow flag: a run is slow when it takes more than 2× the median duration of the last 20
/// SUCCESS runs of its job, once the job has at least 5 of them before it.
public enum SlowCheck {
    /// Earlier SUCCESS runs a job needs before any of its runs can be slow.
    public static let minimumHistory = 5
    /// How many times the usual duration makes a run slow.
    static let factor = 2.0
    /// And by how much at least: jobs of a few milliseconds are not slow for a scheduling hiccup.
    public static let minimumExcessMs: Int64 = 100

    /// More than 2× the median, and at least ``minimumExcessMs`` over it.
    public static func isSlow(durationMs: Int64, median: Int64) -> Bool {
        Double(durationMs) > factor * Double(median) && durationMs - median >= minimumExcessMs
    }

    /// The warning for a run that finished SUCCESS more than 2× slower than usual, naming its
    /// slowest stage (against that stage's usual duration); nil when it is not slow.
    static func finished(_ run: RunRecord, _ db: Database) throws -> String? {
        guard let finishedAt = run.finishedAt, run.durationMs != nil else { return nil }
        let usual = try InsightsQueries.successRuns(job: run.jobName, excluding: run.id, before: run.id, db)
        guard isSlow(run, usual: usual) else { return nil }
        let totals = try InsightsQueries.stageTotals(runs: usual.map(\.id) + [run.id], now: finishedAt, db)
        return warning(run, usual: usual, stageTotals: totals)
    }

    /// True when the finished `run` is slow against `usual` (the last SUCCESS runs of its job
    /// before it, newest first): every backend reads those and asks here.
    public static func isSlow(_ run: RunRecord, usual: [(id: Int64, durationMs: Int64)]) -> Bool {
        guard let duration = run.durationMs, usual.count >= minimumHistory,
            let median = Percentiles.median(usual.map(\.durationMs))
        else { return false }
        return isSlow(durationMs: duration, median: median)
    }

    /// The warning of a slow finished run (see ``isSlow(_:usual:)``), naming its slowest stage;
    /// `stageTotals` holds the stage totals of the usual runs and of `run`.
    public static func warning(
        _ run: RunRecord, usual: [(id: Int64, durationMs: Int64)], stageTotals totals: InsightMath.StageTotals
    ) -> String? {
        guard isSlow(run, usual: usual), let duration = run.durationMs,
            let median = Percentiles.median(usual.map(\.durationMs))
        else { return nil }
        let usualStages = Dictionary(
            InsightMath.medianStages(totals, order: usual.map(\.id)), uniquingKeysWith: { a, _ in a })
        var slowest: (stage: String, ratio: Double)?
        for (stage, ms) in totals[run.id] ?? [] {
            guard let base = usualStages[stage], base > 0 else { continue }
            let ratio = Double(ms) / Double(base)
            if ratio > (slowest?.ratio ?? 0) { slowest = (stage, ratio) }
        }
        var message =
            "Took \(DurationText.format(ms: duration)), \(DurationText.ratio(Double(duration) / Double(max(1, median)))) "
            + "the usual \(DurationText.format(ms: median))"
        if let slowest { message += "; slowest stage: \(slowest.stage) (\(DurationText.ratio(slowest.ratio)))" }
        return message
    }
}
