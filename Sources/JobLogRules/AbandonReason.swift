import JobLogModel

/// The reasons the liveness reaper gives when it abandons a run (``RunMachine``'s abandon rule
/// wraps them in `Run abandoned: <reason>; last stage …`). Every rule text lives in this module.
public enum AbandonReason {
    /// A node of a fleet (several daemons on one database) whose lease expired: its daemon, or
    /// its host, stopped reporting. `heartbeatAt` is its last heartbeat, in the database's clock.
    public static func nodeStopped(_ node: String, at heartbeatAt: Timestamp) -> String {
        "Node \(node) stopped reporting at \(heartbeatAt.iso8601)"
    }
}
