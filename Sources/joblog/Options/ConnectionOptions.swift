import ArgumentParser
import JobLogClient
import JobLogJSON
import JobLogProtocol

/// `--socket`: where the daemon listens. Shared by every command.
struct ConnectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The daemon's socket (default: $JOBLOG_SOCKET, else $XDG_RUNTIME_DIR/joblogd.sock, else /tmp/joblogd-<uid>.sock).",
            valueName: "path"))
    var socket: String?

    /// The socket path this command uses.
    var socketPath: String { socket ?? ClientConfiguration.defaultSocketPath() }

    /// How long a request waits for a daemon that went away to come back before `joblog` gives up (exit 69).
    static let connectTimeout: Duration = .seconds(2)
    /// How long a request waits when no daemon has answered yet (exit 69 after it).
    static let unreachableTimeout: Duration = .milliseconds(100)

    /// A session on the socket: the client, with errors mapped to messages and exit codes.
    /// With `quietIfAbsent`, a daemon that does not answer ends the command silently with 0.
    func session(quietIfAbsent: Bool = false) -> Session {
        var configuration = ClientConfiguration(socketPath: socketPath)
        configuration.connectTimeout = Self.connectTimeout
        configuration.unreachableTimeout = Self.unreachableTimeout
        // joblog prints its own messages (one per failure, with what to do next).
        configuration.warnings = false
        return Session(client: JobLogClient(configuration: configuration), quietIfAbsent: quietIfAbsent)
    }
}

extension ConnectionOptions {
    /// Opens a session, sends one request, closes; returns the daemon's result.
    @discardableResult
    func request<P: RPCParams>(quietIfAbsent: Bool = false, _ method: Method, _ params: P) async throws(ExitCode)
        -> JSONValue
    {
        let session = session(quietIfAbsent: quietIfAbsent)
        defer { session.close() }
        return try await session.call(method, params)
    }
}
