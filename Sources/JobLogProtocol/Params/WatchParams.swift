import JobLogJSON
import JobLogModel

/// `watch`: follow one run, the runs of one job, or every run.
public struct WatchParams: RPCParams, Equatable {
    public var jobRunId: Int64?
    public var jobName: String?
    /// Minimum level of `log` events.
    public var level: LogLevel

    public init(jobRunId: Int64? = nil, jobName: String? = nil, level: LogLevel = .debug) {
        self.jobRunId = jobRunId
        self.jobName = jobName
        self.level = level
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.id("jobRunId")
        jobName = try r.name("jobName", maxBytes: 200, minBytes: 1)
        level = try r.oneOf("level", LogLevel.init(name:), names: LogLevel.namesList) ?? .debug
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", jobRunId.map { String($0) })
        b.add("jobName", jobName)
        if level != .debug { b.add("level", level.name) }
        return b.object
    }
}

/// `watch`'s result.
public struct WatchResult: RPCResult, Equatable {
    public var subscription: String
    public init(subscription: String) { self.subscription = subscription }
    public var json: JSONValue { .object(JSONObject([("subscription", .string(subscription))])) }
    public init(json: JSONValue) throws(ResultDecodingError) {
        subscription = try ResultReader(json).string("subscription")
    }
}

/// `unwatch`.
public struct UnwatchParams: RPCParams, Equatable {
    public var subscription: String
    public init(subscription: String) { self.subscription = subscription }
    public init(from r: ParamReader) throws(RPCError) {
        subscription = try r.requiredName("subscription", maxBytes: 40, minBytes: 1)
    }
    public var json: JSONObject { JSONObject([("subscription", .string(subscription))]) }
}
