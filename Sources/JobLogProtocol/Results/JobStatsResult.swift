import JobLogJSON
import JobLogModel

/// `getJobStats`' result: `{stats}`.
public struct JobStatsResult: RPCResult, Equatable {
    public var stats: JobStats
    public init(stats: JobStats) { self.stats = stats }

    public var json: JSONValue {
        let s = stats
        let rate: JSONValue = s.successRate.map { .double(($0 * 10_000).rounded() / 10_000) } ?? .null
        return .object(
            JSONObject([
                (
                    "stats",
                    .object(
                        JSONObject([
                            ("jobName", .string(s.jobName)), ("runs", .int(s.runs)),
                            ("byStatus", .object(JSONObject(s.byStatus.map { ($0.status.rawValue, .int($0.count)) }))),
                            ("successRate", rate),
                            (
                                "durationMs",
                                .object(
                                    JSONObject([
                                        ("p50", .int(orNull: s.durationMs.p50)),
                                        ("p95", .int(orNull: s.durationMs.p95)),
                                        ("max", .int(orNull: s.durationMs.max)),
                                    ]))
                            ),
                            (
                                "stageDurationsMs",
                                .object(
                                    JSONObject(
                                        s.stageDurationsMs.map {
                                            (
                                                $0.stage,
                                                .object(JSONObject([("p50", .int($0.p50)), ("p95", .int($0.p95))]))
                                            )
                                        }))
                            ),
                            (
                                "outcome",
                                .object(
                                    JSONObject(
                                        s.outcome.map { c in
                                            (
                                                c.key,
                                                .object(
                                                    JSONObject([
                                                        ("last", .int(orNull: c.last)), ("median", .int(c.median)),
                                                        ("min", .int(c.min)), ("max", .int(c.max)),
                                                    ]))
                                            )
                                        }))
                            ),
                            (
                                "recent",
                                .array(
                                    s.recent.map { r in
                                        .object(
                                            JSONObject([
                                                ("id", .id(r.id)), ("status", .string(r.status.rawValue)),
                                                ("startedAt", .timestamp(r.startedAt)),
                                                ("durationMs", .int(orNull: r.durationMs)),
                                                ("outcomeSummary", r.outcome.json),
                                            ]))
                                    })
                            ),
                        ]))
                )
            ]))
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(try ResultReader(json).value("stats"), field: "stats")
        var byStatus: [(status: RunStatus, count: Int64)] = []
        for (k, v) in try r.object("byStatus").members {
            guard let status = RunStatus(rawValue: k), let n = v.int64Value else {
                throw ResultDecodingError(field: "byStatus")
            }
            byStatus.append((status, n))
        }
        let d = try ResultReader(try r.value("durationMs"), field: "durationMs")
        var spread = JobStats.Spread([])
        spread.p50 = d.optionalInt("p50")
        spread.p95 = d.optionalInt("p95")
        spread.max = d.optionalInt("max")
        var stages: [(stage: String, p50: Int64, p95: Int64)] = []
        for (k, v) in try r.object("stageDurationsMs").members {
            let sr = try ResultReader(v, field: "stageDurationsMs")
            stages.append((k, try sr.int("p50"), try sr.int("p95")))
        }
        var counters: [JobStats.Counter] = []
        for (k, v) in try r.object("outcome").members {
            let cr = try ResultReader(v, field: "outcome")
            counters.append(
                JobStats.Counter(
                    key: k, last: cr.optionalInt("last"), median: try cr.int("median"), min: try cr.int("min"),
                    max: try cr.int("max")))
        }
        var recent: [JobStats.Recent] = []
        for v in try r.array("recent") {
            let rr = try ResultReader(v, field: "recent")
            recent.append(
                JobStats.Recent(
                    id: try rr.id("id"), status: try rr.status("status"), startedAt: try rr.timestamp("startedAt"),
                    durationMs: rr.optionalInt("durationMs"),
                    outcome: OutcomeCounters(json: rr.object["outcomeSummary"]?.objectValue ?? JSONObject())))
        }
        stats = JobStats(
            jobName: try r.string("jobName"), runs: try r.int("runs"), byStatus: byStatus,
            successRate: r.optionalDouble("successRate"), durationMs: spread, stageDurationsMs: stages,
            outcome: counters, recent: recent)
    }
}
