/// A flag the liveness reaper sets on a RUNNING run.
public enum RunFlag: Sendable, Equatable {
    /// Not moved since `since` (its last sign of life); `message` is the warning entry.
    case stalled(since: Timestamp, message: String)
    /// Elapsed time past 2× the usual duration; `message` is the warning entry.
    case slow(message: String)
}
