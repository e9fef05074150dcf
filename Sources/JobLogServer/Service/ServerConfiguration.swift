import JobLogModel

#if canImport(Glibc)
    import Glibc
#endif

/// How the server listens.
public struct ServerConfiguration: Sendable {
    /// The Unix socket's path.
    public var socketPath: String
    /// Permission bits of the socket file (0600: only the daemon's user may connect).
    public var socketMode: UInt32 = 0o600
    /// The longest line accepted, in bytes, without its newline.
    public var maxLineBytes: Int = 1 << 20
    /// Connections past this get one `too many connections` line and are closed.
    public var maxConnections: Int = 1024
    /// Connections one uid (other than root) may hold; nil: three quarters of `maxConnections`.
    public var maxConnectionsPerUid: Int?
    /// Bytes of answers one connection may hold: owed (computed, not yet written) plus written but
    /// not yet read by the client. Answers past it are `answer too large` errors; reading from the
    /// connection pauses while it is over.
    public var maxPendingBytes: Int = 64 << 20
    /// The daemon's version, for `ping`.
    public var version: String
    /// A listening socket passed by a service manager (``SocketActivation``): served instead of
    /// binding `socketPath` (then only a name for logs), and never chmod-ed nor unlinked.
    public var inheritedSocket: Int32?
    /// Called once the socket accepts connections.
    public var onListening: (@Sendable () -> Void)?

    /// The connection limits in force, with a few connections kept for the trusted uids.
    func connectionLimits(trusting permissions: Permissions) -> ConnectionLimits {
        let reserved = maxConnections >= 8 ? min(16, maxConnections / 8) : 0
        return ConnectionLimits(
            total: maxConnections, perUid: maxConnectionsPerUid ?? max(1, maxConnections * 3 / 4),
            reserved: reserved, trustedUids: permissions.trustedUids)
    }

    public init(socketPath: String, version: String) {
        self.socketPath = socketPath
        self.version = version
    }

    /// `$JOBLOG_SOCKET`, else `$XDG_RUNTIME_DIR/joblogd.sock`, else `/tmp/joblogd-<uid>.sock`.
    public static func defaultSocketPath(environment: [String: String]) -> String {
        if let p = environment["JOBLOG_SOCKET"], !p.isEmpty { return p }
        if let dir = environment["XDG_RUNTIME_DIR"], !dir.isEmpty { return dir + "/joblogd.sock" }
        return "/tmp/joblogd-\(getuid()).sock"
    }
}
