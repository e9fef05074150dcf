import JobLogJSON
import JobLogModel

/// A log entry as `getLogs` returns it.
public typealias LogEntry = LogRecord

extension LogRecord {
    public var json: JSONValue {
        .object(
            JSONObject([
                ("id", .id(id)), ("level", .string(level.name)), ("stage", .string(orNull: stage)),
                ("message", .string(message)), ("context", .raw(context)), ("createdAt", .timestamp(createdAt)),
            ]))
    }

    /// Reads an entry sent by the daemon.
    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(json, field: "logs")
        guard let level = LogLevel(name: try r.string("level")) else { throw ResultDecodingError(field: "level") }
        let ctx = try r.value("context")
        self.init(
            id: try r.id("id"), level: level, stage: r.optionalString("stage"), message: try r.string("message"),
            context: RawJSON(validating: JSONWriter.string(ctx)) ?? .emptyObject,
            createdAt: try r.timestamp("createdAt"))
    }
}

/// `getLogs`'s result.
public struct LogsResult: RPCResult, Equatable {
    public var logs: [LogEntry]

    public init(logs: [LogEntry]) { self.logs = logs }

    public var json: JSONValue { .object(JSONObject([("logs", .array(logs.map(\.json)))])) }

    public init(json: JSONValue) throws(ResultDecodingError) {
        var out: [LogEntry] = []
        for v in try ResultReader(json).array("logs") { out.append(try LogEntry(json: v)) }
        logs = out
    }
}
