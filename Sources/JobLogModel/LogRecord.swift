import JobLogJSON

/// One stored log entry.
public struct LogRecord: Sendable, Equatable {
    public var id: Int64
    public var level: LogLevel
    public var stage: String?
    public var message: String
    public var context: RawJSON
    public var createdAt: Timestamp

    public init(id: Int64, level: LogLevel, stage: String?, message: String, context: RawJSON, createdAt: Timestamp) {
        self.id = id
        self.level = level
        self.stage = stage
        self.message = message
        self.context = context
        self.createdAt = createdAt
    }
}
