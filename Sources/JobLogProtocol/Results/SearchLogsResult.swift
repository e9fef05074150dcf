import JobLogJSON
import JobLogModel

/// One entry of `searchLogs`: a log entry and the run it belongs to.
public struct SearchedLogEntry: Sendable, Equatable {
    public var entry: LogEntry
    public var jobRunId: Int64
    public var jobName: String

    public init(entry: LogEntry, jobRunId: Int64, jobName: String) {
        self.entry = entry
        self.jobRunId = jobRunId
        self.jobName = jobName
    }

    /// `getLogs`' entry object plus `jobRunId` and `jobName`.
    public var json: JSONValue {
        guard case .object(var object) = entry.json else { return entry.json }
        object.append("jobRunId", .id(jobRunId))
        object.append("jobName", .string(jobName))
        return .object(object)
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(json, field: "logs")
        entry = try LogEntry(json: json)
        jobRunId = try r.id("jobRunId")
        jobName = try r.string("jobName")
    }
}

/// `searchLogs`' result: entries in id order.
public struct SearchLogsResult: RPCResult, Equatable {
    public var logs: [SearchedLogEntry]

    public init(logs: [SearchedLogEntry]) { self.logs = logs }

    public var json: JSONValue { .object(JSONObject([("logs", .array(logs.map(\.json)))])) }

    public init(json: JSONValue) throws(ResultDecodingError) {
        var out: [SearchedLogEntry] = []
        for v in try ResultReader(json).array("logs") { out.append(try SearchedLogEntry(json: v)) }
        logs = out
    }
}
