/// How the HTTP admin service listens and who it lets in.
public struct HTTPConfiguration: Sendable {
    /// The host to bind (an IP address or a name); loopback by default.
    public var host: String
    /// The port; 0 picks a free one (logged, and written to ``portFile`` when set).
    public var port: Int
    /// Where the access token is read from; created (32 random bytes, hex, mode 0600) when missing.
    public var tokenFile: String
    /// False only with `--http-auth none`: no token is checked.
    public var requireToken: Bool = true
    /// When set, the bound port is written there (decimal, one line) once listening.
    public var portFile: String?
    /// HTTP connections served at once (event streams and WebSockets included); further
    /// connections wait in the listen backlog until one closes.
    public var maxConnections: Int = 256
    /// How often an idle event stream gets a `: keep-alive` comment.
    public var keepAliveInterval: Duration = .seconds(15)
    /// At most this many log entries a second per live subscription (WebSocket or event stream);
    /// the rest are told as `lagged`, to be read from the store. Nil: no limit (as on the socket).
    public var liveLogRate: Int? = 1000

    public init(host: String = "127.0.0.1", port: Int = 7370, tokenFile: String) {
        self.host = host
        self.port = port
        self.tokenFile = tokenFile
    }

    /// Whether ``host`` is a loopback address (the only safe place for `--http-auth none`).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Parses `HOST:PORT` (`[::1]:PORT` for IPv6); nil when malformed.
    public static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}
