import Foundation

/// How a client reaches the daemon and how much it keeps while the daemon is away.
public struct ClientConfiguration: Sendable {
    /// The daemon's socket.
    public var socketPath: String
    /// How long a request waits for the daemon to be reachable again before failing (`startRun`, `flush`),
    /// once the daemon has answered on this client.
    public var connectTimeout: Duration = .seconds(5)
    /// How long a request waits while the daemon has never been reached: a job without a daemon
    /// loses at most this much at its first request.
    public var unreachableTimeout: Duration = .milliseconds(150)
    /// Notifications are written at most this late (they are batched into one write).
    public var flushInterval: Duration = .milliseconds(5)
    /// Unacknowledged bytes kept for resending after a reconnect; past it the oldest are dropped (one warning).
    public var maxRetainedBytes: Int = 64 << 20
    /// Callers wait while this many bytes are not yet written to a connected daemon.
    public var maxUnsentBytes: Int = 8 << 20
    /// Print reporting problems to stderr (one line each, not per message).
    public var warnings: Bool = true

    public init(socketPath: String) { self.socketPath = socketPath }

    /// `$JOBLOG_SOCKET`, else `$XDG_RUNTIME_DIR/joblogd.sock`, else `/tmp/joblogd-<uid>.sock`.
    public static func defaultSocketPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String
    {
        if let p = environment["JOBLOG_SOCKET"], !p.isEmpty { return p }
        if let dir = environment["XDG_RUNTIME_DIR"], !dir.isEmpty { return dir + "/joblogd.sock" }
        return "/tmp/joblogd-\(getuid()).sock"
    }

    /// The configuration from the environment.
    public static var fromEnvironment: ClientConfiguration { ClientConfiguration(socketPath: defaultSocketPath()) }
}
