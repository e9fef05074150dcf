import JobLogJSON
import JobLogProtocol
import Synchronization

/// The runs of one client that take the daemon's `cancel` notification, by run id.
final class CancelRegistry: Sendable {
    private let signals = Mutex<[Int64: CancelSignal]>([:])

    func register(_ run: Int64, _ signal: CancelSignal) { signals.withLock { $0[run] = signal } }

    func remove(_ run: Int64) { _ = signals.withLock { $0.removeValue(forKey: run) } }

    /// Hands a `cancel` notification to its run's signal.
    func deliver(_ params: JSONValue) {
        guard let notice = try? CancelNotification(params: params) else { return }
        let signal = signals.withLock { $0[notice.jobRunId] }
        signal?.fire(reason: notice.reason, graceMs: notice.graceMs)
    }
}
