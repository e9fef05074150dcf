import JobLogJSON
import JobLogModel
import JobLogStore
import NIOCore
import PostgresNIO

/// The statements behind the insight reads on PostgreSQL, and their rows decoded: the same rows
/// SQLite's `InsightsQueries` and `LogSearch` read (the arithmetic is ``InsightMath``'s, shared).
/// Each touches a bounded number of rows through an index (`runs_by_job`, `runs_by_job_status`,
/// `stages_by_run`, `job_names_by_last_run`, `logs_by_level`).
enum PostgresInsightQueries {
    /// Runs whose usual duration is asked for: the last 20 SUCCESS runs of a job.
    static let usualRuns = 20

    /// The last `limit` SUCCESS runs of `job` other than `excluding` (and before `before`), newest
    /// first: `id`, duration.
    static func successRuns(job: String, excluding: Int64, before: Int64? = nil, limit: Int = usualRuns)
        -> PostgresQuery
    {
        """
        SELECT id, finished_at - started_at FROM runs
        WHERE job_name = \(PostgresTransaction.text(job)) AND status = 'SUCCESS' AND id != \(excluding)
            AND id < \(before ?? Int64.max)
        ORDER BY id DESC LIMIT \(Int64(limit))
        """
    }

    static func successRun(_ row: PostgresRow) throws -> (id: Int64, durationMs: Int64) {
        let (id, duration) = try row.decode((Int64, Int64?).self)
        return (id, max(0, duration ?? 0))
    }

    /// The stage rows of `runs`, by run and in id order.
    static func stageRows(runs: [Int64]) -> PostgresQuery {
        """
        SELECT run_id, stage, started_at, finished_at FROM stages
        WHERE run_id = ANY(\(runs)) ORDER BY run_id, id
        """
    }

    /// Per run, the total time in each stage (``stageRows(runs:)``'s rows); open stages up to `now`.
    static func stageTotals(_ rows: [PostgresRow], now: Timestamp) throws -> InsightMath.StageTotals {
        var totals: InsightMath.StageTotals = [:]
        for row in rows {
            let (run, stage, startedAt, finishedAt) = try row.decode((Int64, String, Int64, Int64?).self)
            InsightMath.addStage(
                &totals, run: run, stage: stage, startedAt: startedAt, finishedAt: finishedAt, now: now)
        }
        return totals
    }

    /// Job names, the most recently started first, with their last run.
    static func jobs(prefix: String?, limit: Int) -> PostgresQuery {
        var q = PostgresQuery.StringInterpolation(literalCapacity: 256, interpolationCount: 1)
        q.appendLiteral(
            """
            SELECT j.job_name, j.runs, j.last_success_at, r.id, r.status, r.started_at, r.finished_at
            FROM job_names j LEFT JOIN runs r ON r.id = j.last_run_id
            """)
        if let prefix, !prefix.isEmpty {
            q.appendLiteral(" WHERE starts_with(j.job_name, ")
            q.appendInterpolation(PostgresTransaction.text(prefix))
            q.appendLiteral(")")
        }
        q.appendLiteral(" ORDER BY j.last_run_id DESC LIMIT \(max(1, limit))")
        return PostgresQuery(stringInterpolation: q)
    }

    static func job(_ row: PostgresRow, running: [String: Int64]) throws -> JobSummary {
        let (name, runs, lastSuccess, id, status, startedAt, finishedAt) = try row.decode(
            (String, Int64, Int64?, Int64?, String?, Int64?, Int64?).self)
        var last: JobSummary.LastRun?
        if let id, let startedAt {
            last = JobSummary.LastRun(
                id: id, status: status.flatMap(RunStatus.init(rawValue:)) ?? .running,
                startedAt: Timestamp(milliseconds: startedAt), durationMs: finishedAt.map { max(0, $0 - startedAt) })
        }
        return JobSummary(
            jobName: name, runs: runs, running: running[name] ?? 0, lastRun: last,
            lastSuccessAt: lastSuccess.map(Timestamp.init(milliseconds:)))
    }

    /// The last `last` finished runs of `job`, newest first.
    static func finishedRuns(job: String, last: Int) -> PostgresQuery {
        """
        SELECT id, status, started_at, finished_at, outcome FROM runs
        WHERE job_name = \(PostgresTransaction.text(job)) AND status != 'RUNNING'
        ORDER BY id DESC LIMIT \(Int64(max(0, last)))
        """
    }

    static func recent(_ row: PostgresRow) throws -> JobStats.Recent {
        let (id, status, startedAt, finishedAt, outcome) = try row.decode((Int64, String, Int64, Int64?, String).self)
        return JobStats.Recent(
            id: id, status: RunStatus(rawValue: status) ?? .failed, startedAt: Timestamp(milliseconds: startedAt),
            durationMs: finishedAt.map { max(0, $0 - startedAt) }, outcome: OutcomeCounters(jsonText: outcome))
    }

    /// `searchLogs`: the entries matching `filter` (the newest `limit`, or the first `limit` after
    /// `afterId`), in id order, each with its run's job name ("" for a pruned run).
    ///
    /// Text matches as SQLite's `instr`: a case-sensitive substring of the message (bytes, as
    /// `message` is `bytea`) or of the context's JSON text; no pattern characters.
    static func search(_ filter: LogSearchFilter) -> PostgresQuery {
        var q = PostgresQuery.StringInterpolation(literalCapacity: 512, interpolationCount: 8)
        q.appendLiteral(
            "SELECT p.*, coalesce(r.job_name, '') FROM (SELECT \(PostgresRows.logColumns), run_id FROM logs WHERE ")
        if let afterId = filter.afterId {
            q.appendLiteral("id > ")
            q.appendInterpolation(afterId)
        } else {
            q.appendLiteral("true")
        }
        if let run = filter.runID {
            q.appendLiteral(" AND run_id = ")
            q.appendInterpolation(run)
        }
        if let job = filter.jobName {
            q.appendLiteral(" AND run_id IN (SELECT id FROM runs WHERE job_name = ")
            q.appendInterpolation(PostgresTransaction.text(job))
            q.appendLiteral(")")
        }
        if let minLevel = filter.minLevel, minLevel > .debug {
            // A literal: the planner sees that `level >= 3` lies within `logs_by_level` (2 and up).
            q.appendLiteral(" AND level >= \(minLevel.rawValue)")
        }
        if let since = filter.since {
            q.appendLiteral(" AND created_at >= ")
            q.appendInterpolation(since)
        }
        if let until = filter.until {
            q.appendLiteral(" AND created_at < ")
            q.appendInterpolation(until)
        }
        if let text = filter.text {
            q.appendLiteral(" AND (position(")
            q.appendInterpolation(ByteBuffer(string: text))
            q.appendLiteral("::bytea in message) > 0")
            // The context is JSON text: it never holds U+0000 (JSON escapes it), and `text` refuses it.
            if !text.contains("\u{0}") {
                q.appendLiteral(" OR strpos(context, ")
                q.appendInterpolation(text)
                q.appendLiteral(") > 0")
            }
            q.appendLiteral(")")
        }
        q.appendLiteral(filter.afterId == nil ? " ORDER BY id DESC" : " ORDER BY id")
        q.appendLiteral(" LIMIT \(max(0, filter.limit))) p LEFT JOIN runs r ON r.id = p.run_id ORDER BY p.id")
        return PostgresQuery(stringInterpolation: q)
    }

    static func searched(_ row: PostgresRow) throws -> SearchedLog {
        let (id, level, stage, message, context, createdAt, run, job) = try row.decode(
            (Int64, Int64, String?, ByteBuffer, String, Int64, Int64, String).self)
        return SearchedLog(
            record: LogRecord(
                id: id, level: LogLevel(rawValue: Int(level)) ?? .info, stage: stage, message: String(buffer: message),
                context: RawJSON(validating: context) ?? .emptyObject, createdAt: Timestamp(milliseconds: createdAt)),
            runID: run, jobName: job)
    }
}
