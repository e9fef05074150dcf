import JobLogJSON
import JobLogModel

/// `searchLogs`: log entries across runs (or of one), filtered by job, level, time and text.
public struct SearchLogsParams: RPCParams, Equatable {
    public static let maxLimit: Int64 = 10_000
    /// `text` is a substring of at most this many bytes.
    public static let maxTextBytes = 1000

    /// Only entries of this run.
    public var jobRunId: Int64?
    /// Only entries of runs of this job.
    public var jobName: String?
    /// Minimum severity.
    public var level: LogLevel?
    /// Only entries created at or after this time.
    public var since: Timestamp?
    /// Only entries created before this time.
    public var until: Timestamp?
    /// Only entries whose message or context contains this text (case-sensitive).
    public var text: String?
    /// Page forward from this id (0 = from the start); nil = the newest entries.
    public var afterId: Int64?
    public var limit: Int64

    public init(
        jobRunId: Int64? = nil, jobName: String? = nil, level: LogLevel? = nil, since: Timestamp? = nil,
        until: Timestamp? = nil,
        text: String? = nil, afterId: Int64? = nil, limit: Int64 = 100
    ) {
        self.jobRunId = jobRunId
        self.jobName = jobName
        self.level = level
        self.since = since
        self.until = until
        self.text = text
        self.afterId = afterId
        self.limit = limit
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.id("jobRunId")
        jobName = try r.string("jobName", maxBytes: 200, minBytes: 1)
        level = try r.oneOf("level", LogLevel.init(name:), names: LogLevel.namesList)
        since = try Self.time("since", r)
        until = try Self.time("until", r)
        text = try r.string("text", maxBytes: Self.maxTextBytes, minBytes: 1)
        limit = try r.int("limit", in: 1...Self.maxLimit) ?? 100
        if let v = r.object["afterId"], case .number("0") = v {
            afterId = 0
        } else if let v = r.object["afterId"], case .string("0") = v {
            afterId = 0
        } else {
            afterId = try r.id("afterId")
        }
    }

    /// A time: an ISO-8601 UTC timestamp (as in results) or milliseconds since the epoch.
    private static func time(_ field: String, _ r: ParamReader) throws(RPCError) -> Timestamp? {
        guard let value = r.object[field], !value.isNull else { return nil }
        if case .string(let s) = value {
            guard let t = Timestamp(iso8601: s) else {
                throw .invalidParams(field: field, reason: "must be an ISO-8601 UTC timestamp or milliseconds")
            }
            return t
        }
        guard let ms = try r.int(field, in: 0...253_402_300_799_999) else { return nil }
        return Timestamp(milliseconds: ms)
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", jobRunId.map { String($0) })
        b.add("jobName", jobName)
        b.add("level", level?.name)
        b.add("since", since?.iso8601)
        b.add("until", until?.iso8601)
        b.add("text", text)
        b.add("afterId", afterId.map { String($0) })
        b.add("limit", limit)
        return b.object
    }
}
