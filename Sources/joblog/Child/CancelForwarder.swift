import Foundation
import JobLogClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `joblog run` after a cancel request: SIGTERM to the command at once (its own trap runs),
/// SIGKILL when it still runs after the grace the canceller gave.
enum CancelForwarder {
    /// The command while it runs (0 once it exited: a pid that may be reused is never signalled).
    private static let child = Mutex<pid_t>(0)

    /// Forwards the request that `signal` receives to `pid`.
    static func forward(_ signal: CancelSignal, to pid: pid_t) {
        child.withLock { $0 = pid }
        signal.onRequest { _ in
            send(SIGTERM)
            let grace = min(max(0, signal.graceMs ?? 30_000), 86_400_000)
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: Double(grace) / 1000)
                send(SIGKILL)
            }
        }
    }

    /// The command exited: nothing is signalled any more.
    static func childExited() { child.withLock { $0 = 0 } }

    private static func send(_ signo: Int32) {
        child.withLock { pid in if pid > 0 { kill(pid, signo) } }
    }
}
