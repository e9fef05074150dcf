import JobLogModel
import Synchronization

/// What a write produced, delivered after its transaction committed (or failed).
public enum WriteOutcome: Sendable {
    case done
    case logID(Int64)
    /// The run after the write (startRun, saveOutcome, logSummary, finish). Boxed (`indirect`):
    /// a run record is hundreds of bytes, and every outcome of the hot path would be as large.
    indirect case run(RunRecord)
    case failed(StoreError)
    /// What one prune step deleted; `complete` when nothing older is left.
    case pruned(runs: Int64, logs: Int64, complete: Bool)
    /// Free pages still in the file after a vacuum step.
    case vacuumed(freePagesLeft: Int64)
    /// A `hello`: the session's committed count.
    case session(applied: Int64)
    /// Sessions forgotten by a sweep.
    case forgotten(Int64)
}

/// Counts a connection's writes that are queued but not yet committed, so that a
/// read or a ping from a connection with nothing in flight needs no barrier.
///
/// It also remembers a notification lost to a store failure (disk full, read-only,
/// locked) until a request of the connection has been answered with that failure.
public final class CommitTracker: Sendable {
    private let inflight = Atomic<Int>(0)
    private let lost = Mutex<String?>(nil)
    /// Whether `lost` holds a reason: the writer checks it for every write, without the lock.
    private let hasLoss = Atomic<Bool>(false)

    public init() {}

    /// True when every write submitted with this tracker is committed (or failed).
    public var isSettled: Bool { inflight.load(ordering: .acquiring) == 0 }

    /// Why a notification of this connection was not stored, while no request has reported it yet.
    public var unreportedLoss: String? {
        guard hasLoss.load(ordering: .acquiring) else { return nil }
        return lost.withLock { $0 }
    }

    func markLoss(_ reason: String) {
        lost.withLock { $0 = reason }
        hasLoss.store(true, ordering: .releasing)
    }

    func clearLoss() {
        guard hasLoss.load(ordering: .acquiring) else { return }
        lost.withLock { $0 = nil }
        hasLoss.store(false, ordering: .releasing)
    }

    private let rejections = Mutex<(count: Int64, last: String?)>((0, nil))

    /// Counts a notification of this connection that the daemon refused.
    func noteRejection(_ reason: String) {
        rejections.withLock { $0 = ($0.count + 1, reason) }
    }

    /// The notifications refused since the last call, and the last one's reason; resets the count.
    public func takeRejections() -> (count: Int64, last: String?) {
        rejections.withLock { r in
            defer { r = (0, nil) }
            return r
        }
    }

    func begin(_ n: Int) { inflight.add(n, ordering: .relaxed) }
    func end(_ n: Int = 1) { inflight.subtract(n, ordering: .releasing) }
}

/// One queued write, with what the writer must know of the connection that sent it:
///
/// - a **request** (it has a `completion`) is answered once its transaction committed, with its
///   outcome or the failure; a **notification** (no `completion`) is not answered: when it is
///   refused it is counted on its run and reported to the connection's next `ping`, and when it
///   is lost to a store failure its connection's `tracker` holds the loss;
/// - one connection's writes carry its `tracker` and are applied in the order submitted; after a
///   loss, the connection's later writes are held back (not applied) until one of its requests
///   has reported it, so what is stored of a connection is a gap-free prefix of what it sent;
/// - with a client session (`session`, after `hello`), a message its session already applied is
///   skipped, and answered as it was the first time.
public struct WriteOp: Sendable {
    public var command: WriteCommand
    /// When the daemon read it: the entry's `createdAt`, the run's heartbeat.
    public var receivedAt: Timestamp
    /// When the job made the call (`at`, already checked against the daemon's clock): the
    /// `createdAt` of the entry it writes. Nil = `receivedAt`.
    public var at: Timestamp?
    /// The kernel-attested uid of the writer, for permission checks; nil = trusted.
    public var callerUid: UInt32?
    /// Called on the writer thread once the outcome is durable; nil for notifications.
    public var completion: (@Sendable (WriteOutcome) -> Void)?
    public var tracker: CommitTracker?
    /// The connection's session (after `hello`) and this message's number on the connection
    /// since that `hello` (1, 2, …): the writer skips a message its session already applied.
    public var session: SessionLink?
    public var seq: Int64 = 0

    /// A request (answered after its commit), not a notification.
    @inline(__always) public var isRequest: Bool { completion != nil }

    public init(
        _ command: WriteCommand, receivedAt: Timestamp = .now(), callerUid: UInt32? = nil,
        tracker: CommitTracker? = nil, at: Timestamp? = nil, completion: (@Sendable (WriteOutcome) -> Void)? = nil
    ) {
        self.at = at
        self.command = command
        self.receivedAt = receivedAt
        self.callerUid = callerUid
        self.tracker = tracker
        self.completion = completion
    }
}
