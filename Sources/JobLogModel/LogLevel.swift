/// A log entry's severity, least to most severe.
public enum LogLevel: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case debug = 0
    case info = 1
    case milestone = 2
    case warning = 3
    case error = 4

    /// The wire name (`debug`, `info`, ...).
    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .milestone: "milestone"
        case .warning: "warning"
        case .error: "error"
        }
    }

    /// The level with this wire name.
    public init?(name: String) {
        switch name {
        case "debug": self = .debug
        case "info": self = .info
        case "milestone": self = .milestone
        case "warning": self = .warning
        case "error": self = .error
        default: return nil
        }
    }

    public var description: String { name }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The names joined for error messages: `debug, info, milestone, warning, error`.
    public static let namesList = allCases.map(\.name).joined(separator: ", ")
}
