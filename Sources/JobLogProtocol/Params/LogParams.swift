import JobLogJSON
import JobLogModel

/// `debug`, `info`, `milestone`, `warning`, `error` and `log`: one log entry.
public struct LogParams: RPCParams, Equatable {
    /// The longest message accepted, in bytes.
    public static let maxMessageBytes = 65_536

    public var jobRunId: Int64
    /// When the job made the call, milliseconds since the epoch (see ``CallTime``).
    public var at: Int64?
    /// For `log` it is read from the params; the level methods set it from their name.
    public var level: LogLevel
    public var message: String
    public var context: RawJSON?

    public init(jobRunId: Int64, level: LogLevel, message: String, context: RawJSON? = nil, at: Int64? = nil) {
        self.at = at
        self.jobRunId = jobRunId
        self.level = level
        self.message = message
        self.context = context
    }

    /// Reads `log`'s params (with `level`).
    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        at = try CallTime.read(r)
        guard let l = try r.oneOf("level", LogLevel.init(name:), names: LogLevel.namesList) else {
            throw .invalidParams(field: "level", reason: "required")
        }
        level = l
        message = try r.requiredString("message", maxBytes: Self.maxMessageBytes)
        context = try r.rawObject("context")
    }

    /// Reads the params of a level method.
    public init(level: LogLevel, from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        at = try CallTime.read(r)
        self.level = level
        message = try r.requiredString("message", maxBytes: Self.maxMessageBytes)
        context = try r.rawObject("context")
    }

    /// The params of the level method (without `level`).
    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        b.add("at", at)
        b.add("message", message)
        b.add("context", context)
        return b.object
    }

    /// The level method to send these params with.
    public var method: Method {
        switch level {
        case .debug: .debug
        case .info: .info
        case .milestone: .milestone
        case .warning: .warning
        case .error: .error
        }
    }
}
