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

    init() {}

    func add(_ listener: @escaping @Sendable () -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    func beat() {
        let current = listeners.withLock { $0 }
        for listener in current { listener() }
    }
}
