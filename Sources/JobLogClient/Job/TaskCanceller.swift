import Synchronization

/// Cancels the task that runs a job when its cancel request arrives (on the client's I/O thread).
///
/// It holds the current task only while `whileArmed` runs, and cancels it under the same lock
/// that disarms it: a request that arrives after the job ended touches nothing.
final class TaskCanceller: @unchecked Sendable {
    // Guarded by `lock`; set only while `whileArmed` runs, in the task it names.
    private var task: UnsafeCurrentTask?
    private let lock = Mutex(())

    /// Runs `body` in the current task, which `signal` cancels when it fires meanwhile.
    func whileArmed<T>(_ signal: CancelSignal, _ body: () async throws -> T) async rethrows -> T {
        withUnsafeCurrentTask { current in lock.withLock { _ in task = current } }
        signal.onRequest { [self] _ in lock.withLock { _ in task?.cancel() } }
        defer { lock.withLock { _ in task = nil } }
        return try await body()
    }
}
