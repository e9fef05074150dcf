import JobLogModel
import JobLogProtocol

extension JobLogServer {
    /// Whether anyone watches through this daemon now (a `watch` subscription on the socket, an
    /// SSE stream or a WebSocket of the web UI): the cross-node feed listens only then.
    public var hasWatchers: Bool { hub.count > 0 }

    /// Events another daemon committed to the shared store (PostgreSQL, watching across hosts),
    /// as this daemon's feed caught them up: to the watchers as local commits go, and each cancel
    /// request to the connections of the run's job here. Only runs in `ownRuns` (started by this
    /// node, so their owner process is on this host) are escalated with signals.
    public func publishRemote(_ events: [CommittedEvent], ownRuns: Set<Int64>) {
        hub.publish(events)
        for event in events {
            switch event.kind {
            case .cancelRequested(let reason):
                cancels.requested(
                    CancelNotification(jobRunId: event.runID, reason: reason, graceMs: CancelRunParams.defaultGraceMs),
                    escalate: ownRuns.contains(event.runID))
            case .finished:
                cancels.finished(event.runID)
            default:
                break
            }
        }
    }
}
