import Dispatch
import Synchronization

/// Runs async PostgreSQL work from the store's writer thread and waits for it.
///
/// The writer thread is dedicated (not an event loop, not a thread of the cooperative pool), so
/// blocking it on a semaphore is safe; the work itself runs on a task and postgres-nio's loops.
enum BlockingBridge {
    /// The result of `operation`, waited for at most `timeout`; past it the caller gets
    /// ``PostgresStoreError/timeout(_:)`` (and drops the connection, so the late answer is never used).
    /// `abandonIf`, checked every 50 ms while waiting, ends the wait early with
    /// ``PostgresStoreError/connectionLost``: a statement on a connection the server closed (a
    /// restart) does not always fail by itself.
    static func wait<T: Sendable>(
        timeout: Duration, abandonIf: (() -> Bool)? = nil, _ operation: @escaping @Sendable () async throws -> T
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
        let deadline = DispatchTime.now() + .nanoseconds(nanoseconds)
        if let abandonIf {
            while done.wait(timeout: min(deadline, .now() + .milliseconds(50))) == .timedOut {
                if DispatchTime.now() >= deadline {
                    task.cancel()
                    throw PostgresStoreError.timeout(timeout)
                }
                if abandonIf() {
                    task.cancel()
                    throw PostgresStoreError.connectionLost
                }
            }
        } else if done.wait(timeout: deadline) == .timedOut {
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
