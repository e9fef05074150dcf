import Foundation
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// A client of `joblogd`: typed calls over one connection, safe to share between tasks.
///
/// Notifications (progress, logs, outcomes) are buffered and written in batches:
/// a call costs an encode and an append. Requests wait for their answer, which
/// arrives only after everything sent before them is stored. If the daemon is
/// down or restarts, the client reconnects with backoff and resends what was not
/// acknowledged; reporting problems are printed once to stderr, never thrown
/// into a job's notifications.
public final class JobLogClient: Sendable {
    let connection: ClientConnection
    let cancels = CancelRegistry()

    /// Connects (lazily, in the background) to `configuration.socketPath`.
    public init(configuration: ClientConfiguration = .fromEnvironment) {
        connection = ClientConnection(configuration: configuration)
        let cancels = self.cancels
        connection.setCancelHandler { cancels.deliver($0) }
    }

    /// Connects to the socket at `path`.
    public convenience init(socketPath: String) {
        self.init(configuration: ClientConfiguration(socketPath: socketPath))
    }

    /// The socket this client talks to.
    public var socketPath: String { connection.configuration.socketPath }

    // MARK: - Raw calls

    /// Sends a notification: no answer, no waiting.
    public func notify<P: RPCParams>(_ method: Method, _ params: P) {
        connection.send(notification: RPCRequest(method, params, id: nil).line)
    }

    /// Sends a request and decodes its result.
    public func call<P: RPCParams, R: RPCResult>(
        _ method: Method, _ params: P, as: R.Type = R.self, timeout: Duration? = nil
    ) async throws(JobLogClientError) -> R {
        let value = try await callRaw(method.rawValue, params.json, timeout: timeout)
        do {
            return try R(json: value)
        } catch {
            throw .badResponse(error.description)
        }
    }

    /// Sends a request by method name with params as JSON; returns the raw result.
    public func callRaw(_ method: String, _ params: JSONObject, timeout: Duration? = nil)
        async throws(JobLogClientError) -> JSONValue
    {
        try await connection.call({ id in RPCRequest(method: method, params: params, id: id).line }, timeout: timeout)
    }

    /// Receives the daemon's notifications (`watch` events), on the client's I/O thread.
    public func onEvent(_ handler: @escaping @Sendable (String, JSONValue) -> Void) {
        connection.setEventHandler(handler)
    }

    // MARK: - Job side

    /// Opens a RUNNING run.
    public func startRun(_ params: StartRunParams) async throws(JobLogClientError) -> StartRunResult {
        try await call(.startRun, params)
    }

    /// Ends a run; the answer means everything before it is stored.
    public func finishRun(_ params: FinishRunParams) async throws(JobLogClientError) -> OutcomeResult {
        try await call(.finishRun, params)
    }

    /// True when everything sent before it is stored (waits at most `timeout` for an unreachable daemon).
    @discardableResult
    public func flush(timeout: Duration? = nil) async -> Bool {
        do {
            _ = try await call(.ping, EmptyParams(), as: PingResult.self, timeout: timeout)
            return true
        } catch {
            return false
        }
    }

    // MARK: - Admin side

    public func ping() async throws(JobLogClientError) -> PingResult { try await call(.ping, EmptyParams()) }

    public func getRun(_ id: Int64) async throws(JobLogClientError) -> RunInfo {
        try await call(.getRun, RunParams(jobRunId: id), as: RunResult.self).run
    }

    public func getProgress(_ id: Int64) async throws(JobLogClientError) -> RunInfo {
        try await call(.getProgress, RunParams(jobRunId: id), as: ProgressResult.self).run
    }

    public func getOutcome(_ id: Int64) async throws(JobLogClientError) -> RunInfo {
        try await call(.getOutcome, RunParams(jobRunId: id), as: OutcomeResult.self).run
    }

    public func getLogs(_ params: GetLogsParams) async throws(JobLogClientError) -> [LogEntry] {
        try await call(.getLogs, params, as: LogsResult.self).logs
    }

    /// Asks a running run to stop (`cancelRun`); returns the run with `cancelRequestedAt` set.
    public func cancelRun(_ params: CancelRunParams) async throws(JobLogClientError) -> RunInfo {
        try await call(.cancelRun, params, as: RunResult.self).run
    }

    /// Delivers the `cancel` notifications of run `id` (started on this client with
    /// `acceptsCancel`) to `signal`; ``stopCancelDelivery(_:)`` ends it.
    public func deliverCancels(of id: Int64, to signal: CancelSignal) { cancels.register(id, signal) }

    /// Ends ``deliverCancels(of:to:)``.
    public func stopCancelDelivery(_ id: Int64) { cancels.remove(id) }

    public func listRuns(_ params: ListRunsParams = ListRunsParams()) async throws(JobLogClientError) -> [RunInfo] {
        try await call(.listRuns, params, as: ListRunsResult.self).runs
    }

    /// Waits (at most `timeout`) for everything to be acknowledged, then closes the connection.
    public func close(timeout: Duration = .seconds(2)) {
        connection.close(timeout: timeout)
    }
}
