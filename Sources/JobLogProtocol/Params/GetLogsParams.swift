import JobLogJSON
import JobLogModel

/// `getLogs`: a page of a run's log entries.
public struct GetLogsParams: RPCParams, Equatable {
    public static let maxLimit: Int64 = 10_000

    public var jobRunId: Int64
    /// Minimum severity.
    public var level: LogLevel?
    public var limit: Int64
    /// Page forward from this id (0 = from the start); nil = the newest entries.
    public var afterId: Int64?
    /// Page back: the newest entries whose id is smaller. Not with ``afterId``.
    public var beforeId: Int64?

    public init(
        jobRunId: Int64, level: LogLevel? = nil, limit: Int64 = 100, afterId: Int64? = nil, beforeId: Int64? = nil
    ) {
        self.jobRunId = jobRunId
        self.level = level
        self.limit = limit
        self.afterId = afterId
        self.beforeId = beforeId
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        level = try r.oneOf("level", LogLevel.init(name:), names: LogLevel.namesList)
        limit = try r.int("limit", in: 1...Self.maxLimit) ?? 100
        // afterId may be 0.
        if let v = r.object["afterId"], case .number(let n) = v, n == "0" {
            afterId = 0
        } else if let v = r.object["afterId"], case .string("0") = v {
            afterId = 0
        } else {
            afterId = try r.id("afterId")
        }
        beforeId = try r.id("beforeId")
        if afterId != nil, beforeId != nil { throw .invalidParams(field: "beforeId", reason: "not with afterId") }
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        b.add("level", level?.name)
        b.add("limit", limit)
        b.add("afterId", afterId.map { String($0) })
        b.add("beforeId", beforeId.map { String($0) })
        return b.object
    }
}
