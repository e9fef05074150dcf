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
    ///
    /// `late` gets a value that arrives after the wait gave up (a connection made past its time
    /// must still be closed: postgres-nio requires it, and nobody else holds it).
    static func wait<T: Sendable>(
        timeout: Duration, abandonIf: (() -> Bool)? = nil, late: (@Sendable (T) -> Void)? = nil,
        _ operation: @escaping @Sendable () async throws -> T
    ) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        let task = Task {
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await operation())
            } catch {
                outcome = .failure(error)
            }
            let abandoned = box.state.withLock { state -> Bool in
                if state.abandoned { return true }
                state.result = outcome
                return false
            }
            if abandoned, case .success(let value) = outcome { late?(value) }
            done.signal()
        }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let deadline = DispatchTime.now() + .nanoseconds(nanoseconds)
        /// Gives up: a result that arrived meanwhile goes to `late`, a later one too (the task's).
        func abandon(_ error: PostgresStoreError) -> PostgresStoreError {
            task.cancel()
            let arrived = box.state.withLock { state -> Result<T, any Error>? in
                state.abandoned = true
                return state.result
            }
            if case .success(let value)? = arrived { late?(value) }
            return error
        }
        if let abandonIf {
            while done.wait(timeout: min(deadline, .now() + .milliseconds(50))) == .timedOut {
                if DispatchTime.now() >= deadline { throw abandon(.timeout(timeout)) }
                if abandonIf() { throw abandon(.connectionLost) }
            }
        } else if done.wait(timeout: deadline) == .timedOut {
            throw abandon(.timeout(timeout))
        }
        return try box.state.withLock { $0.result! }.get()
    }

    /// Where the task leaves its result for the waiting thread, unless the thread gave up.
    private final class ResultBox<T: Sendable>: Sendable {
        let state = Mutex<(result: Result<T, any Error>?, abandoned: Bool)>((nil, false))
    }
}
