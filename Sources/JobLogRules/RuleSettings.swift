import JobLogModel

/// The daemon's settings the run rules depend on.
public struct RuleSettings: Sendable {
    /// Who may write to a run.
    public var permissions: Permissions
    /// The most log entries a run keeps (nil: no budget); see ``RunMachine`` for the drop order.
    public var maxLogsPerRun: Int64?
    /// The lowest level watchers want log events for; nil: nobody watches logs (no log events).
    public var watchedLevel: LogLevel?

    public init(permissions: Permissions, maxLogsPerRun: Int64? = nil, watchedLevel: LogLevel? = nil) {
        self.permissions = permissions
        self.maxLogsPerRun = maxLogsPerRun
        self.watchedLevel = watchedLevel
    }
}
