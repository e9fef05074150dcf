import Synchronization

/// The bytes of events one connection's subscriptions hold: queued, or taken and being written
/// (until the write completes). Shared by the connection's subscriber queues; past `limit`, the
/// queue that is pushed to is emptied and its subscriber gets `lagged`, as when it is over its
/// own bounds.
final class WatchBytes: Sendable {
    /// The bound for one connection.
    static let perConnection = 32 << 20

    let limit: Int
    private let total = Atomic<Int>(0)

    init(limit: Int = WatchBytes.perConnection) { self.limit = limit }

    /// Counts `n` more bytes; returns the new total.
    @discardableResult
    func add(_ n: Int) -> Int { total.add(n, ordering: .relaxed).newValue }

    /// Releases `n` bytes.
    func remove(_ n: Int) {
        guard n != 0 else { return }
        total.subtract(n, ordering: .relaxed)
    }

    /// Bytes held now.
    var bytes: Int { total.load(ordering: .relaxed) }
}
