import JobLogModel

/// What applying a command to a run answers.
public enum RunAnswer: Sendable, Equatable {
    /// Applied; nothing to return.
    case done
    /// A log entry's id; 0 when the run's log budget dropped the new entry itself.
    case logID(Int64)
    /// Applied; the answer is the run as it is now (`RunMachine/run`).
    case run
    /// Not applied (or, for ``RunRefusal/overflow(_:)``, applied only as a sign of life).
    case refused(RunRefusal)
}

/// Why the rules refused a command.
public enum RunRefusal: Sendable, Equatable {
    /// The run is not RUNNING: it accepts no more writes (only `logSummary`).
    case runFinished(Int64, RunStatus)
    /// The caller may not write to this run; the text names the owner.
    case notPermitted(String)
    /// A counter would pass `Int64.max`; the text names it (`progress`, `outcome KEY`).
    case overflow(String)

    /// Whether the command reached the run at all (false: nothing of the run changed).
    public var changedRun: Bool {
        if case .overflow = self { return true }
        return false
    }
}
