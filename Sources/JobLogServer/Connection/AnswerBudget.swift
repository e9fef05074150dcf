import Synchronization

/// The bytes of answers one connection holds: owed (computed, not yet written) and written but
/// still in the channel's outbound buffer (the client has not read them). Set on the connection's
/// event loop; read from anywhere, so a read that would only be refused is not even run.
final class AnswerBudget: Sendable {
    /// The bound (`--max-pending-bytes`).
    let limit: Int
    private let current = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Bytes held now.
    var bytes: Int {
        get { current.load(ordering: .relaxed) }
        set { current.store(newValue, ordering: .relaxed) }
    }

    /// Whether an answer of `size` more bytes still fits.
    func fits(_ size: Int) -> Bool { bytes + size <= limit }

    /// Whether the connection is at or over its bound.
    var isFull: Bool { bytes >= limit }
}
