/// A number per log level: a run's entries, or the entries its log budget dropped.
public struct LogLevelCounts: Sendable, Hashable {
    public var debug: Int64
    public var info: Int64
    public var milestone: Int64
    public var warning: Int64
    public var error: Int64

    public init(debug: Int64 = 0, info: Int64 = 0, milestone: Int64 = 0, warning: Int64 = 0, error: Int64 = 0) {
        self.debug = debug
        self.info = info
        self.milestone = milestone
        self.warning = warning
        self.error = error
    }

    /// The count of one level.
    public subscript(level: LogLevel) -> Int64 {
        get {
            switch level {
            case .debug: debug
            case .info: info
            case .milestone: milestone
            case .warning: warning
            case .error: error
            }
        }
        set {
            switch level {
            case .debug: debug = newValue
            case .info: info = newValue
            case .milestone: milestone = newValue
            case .warning: warning = newValue
            case .error: error = newValue
            }
        }
    }

    /// Every level's count added up.
    public var total: Int64 { debug + info + milestone + warning + error }

    /// True when every count is zero.
    public var isZero: Bool { self == LogLevelCounts() }
}
