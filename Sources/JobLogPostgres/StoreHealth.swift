import Synchronization

/// What the writer and the reads know of the server's reachability, shared between them: while
/// the server is known to be unreachable, reads give up after ``PostgresBackend/outageReadTimeout``
/// (answered `-32005` with the known reason) instead of waiting the full read timeout for a
/// pooled connection that the pool cannot make.
final class StoreHealth: Sendable {
    private let outage = Mutex<String?>(nil)

    /// Why the server is unreachable, or nil when it is not known to be.
    var outageReason: String? { outage.withLock { $0 } }

    /// The server could not be reached, for `reason`.
    func lost(_ reason: String) { outage.withLock { $0 = reason } }

    /// The server answered again.
    func reached() { outage.withLock { $0 = nil } }
}
