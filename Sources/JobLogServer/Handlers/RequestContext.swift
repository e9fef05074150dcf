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
    /// The connection's number (its cancel registrations are kept under it).
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

    /// A context over the daemon's shared services, for one connection or session.
    init(
        services: ConnectionServices, peer: PeerCredentials?, connectionID: UInt64, logger: Logger,
        watches: ConnectionWatches?, send: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        self.init(
            store: services.store, peer: peer, version: services.configuration.version, logger: logger,
            rates: services.rates, connectionID: connectionID, watches: watches, pruner: services.pruner,
            permissions: services.store.permissions, cancels: services.cancels, send: send)
    }

    init(
        store: JobLogStore, peer: PeerCredentials?, version: String, logger: Logger, rates: ProgressRates,
        connectionID: UInt64, watches: ConnectionWatches?, pruner: Pruner, permissions: Permissions,
        tracker: CommitTracker? = nil, cancels: CancelService? = nil, send: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        self.store = store
        self.peer = peer
        self.version = version
        self.logger = logger
        self.rates = rates
        self.connectionID = connectionID
        self.watches = watches
        self.pruner = pruner
        self.permissions = permissions
        self.tracker = tracker
        self.cancels = cancels
        self.send = send
    }

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
