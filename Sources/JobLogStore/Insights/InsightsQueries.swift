import GRDB
import JobLogModel

/// Reads behind the insights (shared by the readers and the writer's slow check). Each touches
/// a bounded number of rows through an index: the last N runs of one job, their stages.
enum InsightsQueries {
    /// The usual run: the last `limit` SUCCESS runs of `job` other than `excluding` (and before
    /// `before` when given), newest first, as (id, durationMs).
    static func successRuns(job: String, excluding: Int64, before: Int64? = nil, limit: Int = 20, _ db: Database)
        throws -> [(id: Int64, durationMs: Int64)]
    {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, finished_at - started_at AS duration FROM runs INDEXED BY runs_by_job_status
                WHERE job_name = ? AND status = 'SUCCESS' AND id != ? AND id < ?
                ORDER BY id DESC LIMIT ?
                """, arguments: [job, excluding, before ?? Int64.max, limit]
        ).map { (id: $0["id"] as Int64, durationMs: max(0, $0["duration"] as Int64)) }
    }

    /// Per run, the total time spent in each stage name (in order of first appearance); an open
    /// stage counts up to `now`. One statement per 500 runs (index probes on `stages_by_run`).
    static func stageTotals(runs: [Int64], now: Timestamp, _ db: Database) throws -> InsightMath.StageTotals {
        var out: InsightMath.StageTotals = [:]
        var start = 0
        while start < runs.count {
            let chunk = runs[start..<min(start + 500, runs.count)]
            start += chunk.count
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT run_id, stage, started_at, finished_at FROM stages
                    WHERE run_id IN (\(marks)) ORDER BY run_id, id
                    """, arguments: StatementArguments(Array(chunk)))
            while let row = try rows.next() {
                InsightMath.addStage(
                    &out, run: row["run_id"], stage: row["stage"], startedAt: row["started_at"],
                    finishedAt: row["finished_at"], now: now)
            }
        }
        return out
    }

    /// The timeline of one run, oldest first.
    static func stages(run: Int64, _ db: Database) throws -> [StageSpan] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT stage, message, started_at, finished_at, progress_start, progress_end
                FROM stages WHERE run_id = ? ORDER BY id
                """, arguments: [run]
        ).map { row in
            StageSpan(
                stage: row["stage"], message: row["message"], startedAt: Timestamp(milliseconds: row["started_at"]),
                finishedAt: (row["finished_at"] as Int64?).map(Timestamp.init(milliseconds:)),
                progressAtStart: row["progress_start"], progressAtEnd: row["progress_end"])
        }
    }
}
