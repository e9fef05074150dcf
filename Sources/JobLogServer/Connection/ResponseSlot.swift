import Synchronization

/// A response line that will be ready later (after a commit, or a read).
/// Filled once, from any thread; awaited once, by the connection's responder.
final class ResponseSlot: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<[UInt8], Never>)
        case ready([UInt8])
        case taken
    }

    private let state = Mutex<State>(.empty)
    private let action: (@Sendable () -> Void)?
    private let actionCancelled = Atomic<Bool>(false)

    /// Runs after the response is written (a `watch` starts delivering then); nil when
    /// the slot was filled with a failure instead of the answer the action belongs to.
    var afterWrite: (@Sendable () -> Void)? {
        actionCancelled.load(ordering: .acquiring) ? nil : action
    }

    init(afterWrite: (@Sendable () -> Void)? = nil) {
        self.action = afterWrite
    }

    init(ready bytes: [UInt8], afterWrite: (@Sendable () -> Void)? = nil) {
        self.action = afterWrite
        state.withLock { $0 = .ready(bytes) }
    }

    /// Sets the response line (without newline). Later calls are ignored.
    /// With `runAfterWrite: false` the after-write action is dropped.
    func fulfill(_ bytes: [UInt8], runAfterWrite: Bool = true) {
        if !runAfterWrite { actionCancelled.store(true, ordering: .releasing) }
        let continuation: CheckedContinuation<[UInt8], Never>? = state.withLock { s in
            switch s {
            case .empty:
                s = .ready(bytes)
                return nil
            case .waiting(let c):
                s = .taken
                return c
            case .ready, .taken:
                return nil
            }
        }
        continuation?.resume(returning: bytes)
    }

    /// True when ``value()`` would return at once.
    var isReady: Bool {
        state.withLock { if case .ready = $0 { true } else { false } }
    }

    /// Waits for the response line.
    func value() async -> [UInt8] {
        await withCheckedContinuation { (c: CheckedContinuation<[UInt8], Never>) in
            let ready: [UInt8]? = state.withLock { s in
                switch s {
                case .ready(let b):
                    s = .taken
                    return b
                case .empty:
                    s = .waiting(c)
                    return nil
                case .waiting, .taken:
                    return []
                }
            }
            if let ready { c.resume(returning: ready) }
        }
    }
}

/// What the responder writes next, in request order.
enum PendingResponse: Sendable {
    case single(ResponseSlot)
    /// A batch's members that get a response, written as one array.
    case batch([ResponseSlot])

    var isReady: Bool {
        switch self {
        case .single(let s): s.isReady
        case .batch(let slots): slots.allSatisfy(\.isReady)
        }
    }

    /// The actions to run once the line is written.
    var afterWrite: [@Sendable () -> Void] {
        switch self {
        case .single(let s): s.afterWrite.map { [$0] } ?? []
        case .batch(let slots): slots.compactMap(\.afterWrite)
        }
    }

    func line() async -> [UInt8] {
        switch self {
        case .single(let s): return await s.value()
        case .batch(let slots):
            var members: [[UInt8]] = []
            members.reserveCapacity(slots.count)
            for s in slots { members.append(await s.value()) }
            return RPCResponseBatch.join(members)
        }
    }
}
