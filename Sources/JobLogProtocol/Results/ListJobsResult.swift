import JobLogJSON
import JobLogModel

/// `listJobs`' result: `{jobs}`, the most recently started first.
public struct ListJobsResult: RPCResult, Equatable {
    public var jobs: [JobSummary]
    public init(jobs: [JobSummary]) { self.jobs = jobs }

    public var json: JSONValue {
        .object(
            JSONObject([
                (
                    "jobs",
                    .array(
                        jobs.map { j in
                            let last: JSONValue =
                                j.lastRun.map { l in
                                    .object(
                                        JSONObject([
                                            ("id", .id(l.id)), ("status", .string(l.status.rawValue)),
                                            ("startedAt", .timestamp(l.startedAt)),
                                            ("durationMs", .int(orNull: l.durationMs)),
                                        ]))
                                } ?? .null
                            return .object(
                                JSONObject([
                                    ("jobName", .string(j.jobName)), ("runs", .int(j.runs)),
                                    ("running", .int(j.running)), ("lastRun", last),
                                    ("lastSuccessAt", .timestamp(j.lastSuccessAt)),
                                ]))
                        })
                )
            ]))
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        var out: [JobSummary] = []
        for v in try ResultReader(json).array("jobs") {
            let r = try ResultReader(v, field: "jobs")
            var last: JobSummary.LastRun?
            if let l = r.object["lastRun"], !l.isNull {
                let lr = try ResultReader(l, field: "lastRun")
                last = JobSummary.LastRun(
                    id: try lr.id("id"), status: try lr.status("status"), startedAt: try lr.timestamp("startedAt"),
                    durationMs: lr.optionalInt("durationMs"))
            }
            out.append(
                JobSummary(
                    jobName: try r.string("jobName"), runs: try r.int("runs"), running: try r.int("running"),
                    lastRun: last, lastSuccessAt: r.optionalTimestamp("lastSuccessAt")))
        }
        jobs = out
    }
}
