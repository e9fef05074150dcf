import Synchronization

/// Proof of life from the writer thread, for a service manager's watchdog.
///
/// The writer calls ``beat()`` each time it comes back to its queue: before every batch, and,
/// when ``StoreConfiguration/heartbeatIntervalMs`` is set, at least that often while idle. A
/// writer stuck in a transaction (a lock held by another process, a wedged disk) stops beating,
/// which a watchdog fed from here notices; a live process with a dead writer would not.
/// Listeners run on the writer thread: they must not block.
final class WriterHeartbeat: Sendable {
    private let listeners = Mutex<[@Sendable () -> Void]>([])
    private let batches = Atomic<Int>(0)

    init() {}

    func add(_ listener: @escaping @Sendable () -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    /// Batches taken so far (each one transaction, group-committed).
    var batchCount: Int { batches.load(ordering: .relaxed) }

    /// Counts one batch written.
    func countBatch() { batches.add(1, ordering: .relaxed) }

    func beat() {
        let current = listeners.withLock { $0 }
        for listener in current { listener() }
    }
}
