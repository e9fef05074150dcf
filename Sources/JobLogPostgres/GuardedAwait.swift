import Synchronization

/// Awaits async PostgreSQL work on one connection, but not forever: a statement on a connection
/// the server closed (a restart) does not always fail by itself in postgres-nio, and a task
/// group would wait for such a child as long. The work runs on a task of its own; the wait ends
/// with its result, with ``PostgresStoreError/connectionLost`` as soon as `abandonIf` turns true
/// (checked every 50 ms), or with `CancellationError` when the waiting task is cancelled. The work
/// left behind is cancelled; if it is stuck on the dead connection it stays suspended, one task
/// per lost connection. (``BlockingBridge`` is the same for the writer's thread.)
enum GuardedAwait {
    static func value<T: Sendable>(
        abandonIf: @escaping @Sendable () -> Bool, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let slot = GuardedSlot<T>()
        let work = Task<Void, Never> {
            do {
                slot.finish(.success(try await operation()))
            } catch {
                slot.finish(.failure(error))
            }
        }
        let watch = Task<Void, Never> {
            while !slot.isFinished {
                try? await Task.sleep(for: .milliseconds(50))
                if Task.isCancelled { return }
                if abandonIf() {
                    slot.finish(.failure(PostgresStoreError.connectionLost))
                    work.cancel()
                    return
                }
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { slot.wait($0) }
        } onCancel: {
            slot.finish(.failure(CancellationError()))
            work.cancel()
            watch.cancel()
        }
    }
}

/// One result handed to one waiter, whichever comes first.
private final class GuardedSlot<T: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<T, any Error>)
        case early(Result<T, any Error>)
        case done
    }

    private let state = Mutex<State>(.idle)

    var isFinished: Bool {
        state.withLock {
            switch $0 {
            case .early, .done: true
            case .idle, .waiting: false
            }
        }
    }

    /// The first result wins; later ones are dropped.
    func finish(_ result: Result<T, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<T, any Error>? in
            switch s {
            case .idle:
                s = .early(result)
                return nil
            case .waiting(let continuation):
                s = .done
                return continuation
            case .early, .done:
                return nil
            }
        }
        waiter?.resume(with: result)
    }

    func wait(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { s -> Result<T, any Error>? in
            switch s {
            case .idle:
                s = .waiting(continuation)
                return nil
            case .early(let result):
                s = .done
                return result
            case .waiting, .done:
                return nil
            }
        }
        if let early { continuation.resume(with: early) }
    }
}
