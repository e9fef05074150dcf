import Dispatch
import Synchronization

/// Runs async PostgreSQL work from the store's writer thread and waits for it.
///
/// The writer thread is dedicated (not an event loop, not a thread of the cooperative pool), so
/// blocking it on a semaphore is safe; the work itself runs on a task and postgres-nio's loops.
enum BlockingBridge {
    /// The result of `operation`, waited for at most `timeout`; past it the caller gets
    /// ``PostgresStoreError/timeout(_:)`` (and drops the connection, so the late answer is never used).
    static func wait<T: Sendable>(
        timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox<T>()
        let task = Task {
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await operation())
            } catch {
                outcome = .failure(error)
            }
            result.value.withLock { $0 = outcome }
            done.signal()
        }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        if done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
            task.cancel()
            throw PostgresStoreError.timeout(timeout)
        }
        return try result.value.withLock { $0! }.get()
    }

    /// Where the task leaves its result for the waiting thread.
    private final class ResultBox<T: Sendable>: Sendable {
        let value = Mutex<Result<T, any Error>?>(nil)
    }
}
