import JobLogJSON
import JobLogModel

/// `startRun`'s result.
public struct StartRunResult: RPCResult, Equatable {
    public var jobRunId: Int64
    public var jobName: String
    public var status: RunStatus
    public var startedAt: Timestamp

    public init(jobRunId: Int64, jobName: String, status: RunStatus, startedAt: Timestamp) {
        self.jobRunId = jobRunId
        self.jobName = jobName
        self.status = status
        self.startedAt = startedAt
    }

    public var json: JSONValue {
        .object(
            JSONObject([
                ("jobRunId", .id(jobRunId)), ("jobName", .string(jobName)), ("status", .string(status.rawValue)),
                ("startedAt", .timestamp(startedAt)),
            ]))
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(json)
        jobRunId = try r.id("jobRunId")
        jobName = try r.string("jobName")
        status = try r.status("status")
        startedAt = try r.timestamp("startedAt")
    }
}
