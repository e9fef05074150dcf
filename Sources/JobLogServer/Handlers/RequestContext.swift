import JobLogModel
import JobLogStore
import Logging

/// What handlers may use: the store, the caller's kernel-attested identity, settings.
struct RequestContext: Sendable {
    let store: JobLogStore
    let peer: PeerCredentials?
    let version: String
    let logger: Logger
    let rates: ProgressRates
    let connectionID: UInt64
    let watches: ConnectionWatches?
    let pruner: Pruner
    let permissions: Permissions
    /// The connection's commit tracker (its refused notifications, for `ping`).
    var tracker: CommitTracker? = nil
    /// Cancel requests (delivery to jobs, escalation).
    var cancels: CancelService? = nil
    /// The connection said `hello` with `acceptsCancel`: every run it starts takes cancel notices.
    var acceptsCancel = false
    /// Writes a line (with its newline) to this connection, from any thread.
    var send: (@Sendable ([UInt8]) -> Void)? = nil

    /// Adds what only the live daemon knows (rate, ETA) to a stored run.
    func decorate(_ run: RunRecord) -> RunRecord {
        guard run.status == .running else { return run }
        var run = run
        if let rate = rates.rate(for: run.id) {
            run.ratePerSecond = rate
            if let total = run.progressTotal, rate > 0 {
                run.etaSeconds = max(0, Double(total - run.progressCurrent) / rate)
            }
        }
        return run
    }
}
