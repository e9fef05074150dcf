import Synchronization

/// The bytes of answers one connection holds: owed (computed, not yet written) and written but
/// still in the channel's outbound buffer (the client has not read them). Set on the connection's
/// event loop; read from anywhere, so a read that would only be refused is not even run.
final class AnswerBudget: Sendable {
    /// The bound (`--max-pending-bytes`).
    let limit: Int
    private let current = Atomic<Int>(0)
    private let refusing = Atomic<Bool>(false)

    init(limit: Int) { self.limit = limit }

    /// Bytes held now.
    var bytes: Int {
        get { current.load(ordering: .relaxed) }
        set { current.store(newValue, ordering: .relaxed) }
    }

    /// Whether reads are refused without being run: the connection is at or over its bound, or an
    /// answer was refused and the connection has not yet come down to half of it (so the members of
    /// a batch past the bound are refused at once, not each computed and then dropped).
    var isFull: Bool { bytes >= limit || refusing.load(ordering: .relaxed) }

    /// An answer was refused: refuse reads until ``bytes`` is down to half the bound.
    func startRefusing() { refusing.store(true, ordering: .relaxed) }

    /// The connection is down to half its bound: reads run again.
    func stopRefusing() { refusing.store(false, ordering: .relaxed) }
}
