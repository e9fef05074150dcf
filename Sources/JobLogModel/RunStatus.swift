/// The state of a job run.
public enum RunStatus: String, Sendable, CaseIterable, CustomStringConvertible {
    case running = "RUNNING"
    case success = "SUCCESS"
    case failed = "FAILED"
    case cancelled = "CANCELLED"
    /// The owning process disappeared (or went silent past its heartbeat timeout) without finishing the run.
    case abandoned = "ABANDONED"

    /// The statuses a job may finish its run with.
    public static let finishable: [RunStatus] = [.success, .failed, .cancelled]

    public var description: String { rawValue }

    /// True for every status but RUNNING.
    public var isFinished: Bool { self != .running }

    /// The names joined for error messages.
    public static let namesList = allCases.map(\.rawValue).joined(separator: ", ")
}
