import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The watchdog a service manager asked for (`WatchdogSec=`, seen as `WATCHDOG_USEC` and
/// `WATCHDOG_PID`), fed with `WATCHDOG=1` from the store writer's heartbeat: so the manager
/// restarts a daemon whose writer is wedged, not only one whose process died.
///
/// ``beat()`` runs on the writer thread, so it only reads a clock and sends one datagram
/// without blocking. Pings go out at most every ``pingInterval`` / 2 and, with the writer
/// waking every ``pingInterval`` when idle, at least every ``pingInterval`` while it works.
public final class ServiceWatchdog: Sendable {
    /// The manager's timeout.
    public let timeout: Duration
    private let notifier: ServiceNotifier
    private let lastPing = Mutex<ContinuousClock.Instant?>(nil)

    /// nil when no watchdog is asked of this process.
    public init?(environment: [String: String], notifier: ServiceNotifier, pid: Int32 = getpid()) {
        guard let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != pid { return nil }
        timeout = .microseconds(usec)
        self.notifier = notifier
    }

    /// A quarter of the timeout: systemd asks for a ping at least every half, and the margin
    /// absorbs timer jitter and a long transaction.
    public var pingInterval: Duration { timeout / 4 }

    /// One heartbeat of the writer: sends `WATCHDOG=1` unless one went out very recently.
    public func beat() {
        let now = ContinuousClock.now
        let due = lastPing.withLock { last in
            if let previous = last, now - previous < pingInterval / 2 { return false }
            last = now
            return true
        }
        if due { notifier.send("WATCHDOG=1") }
    }
}
