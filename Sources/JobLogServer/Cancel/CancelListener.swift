import JobLogProtocol
import JobLogStore

/// Registers a connection for the `cancel` notification of a run it started (or, after `hello`
/// with `acceptsCancel`, writes to).
struct CancelListener: Sendable {
    let cancels: CancelService
    let connection: UInt64
    let send: @Sendable ([UInt8]) -> Void

    init?(_ context: RequestContext) {
        guard let cancels = context.cancels, let send = context.send else { return nil }
        self.cancels = cancels
        self.connection = context.connectionID
        self.send = send
    }

    func listen(_ run: Int64) { cancels.listen(connection: connection, run: run, send: send) }

    /// Registers for `run` and, when the store says a cancel was requested while this connection
    /// was not listening (the job was reconnecting, the daemon restarted), sends it now.
    func listen(_ run: Int64, catchingUpFrom store: JobLogStore) {
        listen(run)
        let (cancels, connection) = (self.cancels, self.connection)
        Task {
            guard let record = try? await store.run(run), record.status == .running,
                record.cancelRequestedAt != nil
            else { return }
            cancels.catchUp(
                connection: connection,
                CancelNotification(
                    jobRunId: run, reason: record.cancelReason ?? "", graceMs: CancelRunParams.defaultGraceMs))
        }
    }
}
