import Foundation

/// The queue between connections and the writer thread: many producers, one consumer.
///
/// Producers suspend (without blocking a thread) while the queue is full; the
/// writer thread blocks on a condition until a batch is due: a write that
/// waits for its acknowledgement arrived, `maxBatch` writes are waiting, or the
/// oldest has waited `flushInterval` (or, for the watchdog's heartbeat, until a
/// wake-up interval passes: then it gets an empty batch).
final class WriteQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [WriteOp] = []
    private var firstPendingAt: Date?
    private var acknowledgedWaiting = false
    /// The batch taken last held a write that waits for its answer.
    private var lastBatchAnswered = false
    private static let yieldsBeforeSleep = 16
    private var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    private var spaceCallbacks: [@Sendable () -> Void] = []
    private var stopping = false
    private let maxBatch: Int
    private let maxQueued: Int
    private let flushInterval: TimeInterval

    init(maxBatch: Int, maxQueued: Int, flushIntervalMs: Int) {
        self.maxBatch = maxBatch
        self.maxQueued = maxQueued
        self.flushInterval = Double(flushIntervalMs) / 1000
    }

    /// Writes queued and not yet taken by the writer.
    var depth: Int { condition.withLock { pending.count } }

    /// Queues writes in order; suspends while the queue is full. Returns false once stopping.
    func push(_ ops: [WriteOp]) async -> Bool {
        while true {
            let full: Bool = condition.withLock {
                if stopping { return false }
                return pending.count >= maxQueued
            }
            if !full { break }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                condition.lock()
                if pending.count < maxQueued || stopping {
                    condition.unlock()
                    c.resume()
                } else {
                    spaceWaiters.append(c)
                    condition.unlock()
                }
            }
        }
        return condition.withLock {
            if stopping { return false }
            Self.begin(ops)
            if pending.isEmpty {
                firstPendingAt = Date()
                // Take the caller's array as it is (no copy of each write, no release of the originals).
                pending = ops
            } else {
                pending.append(contentsOf: ops)
            }
            if ops.contains(where: { $0.completion != nil }) { acknowledgedWaiting = true }
            if acknowledgedWaiting || pending.count >= maxBatch || pending.count == ops.count {
                condition.signal()
            }
            return true
        }
    }

    /// Queues writes without waiting (from an event loop). Returns false when the queue is
    /// now over its limit: the caller stops reading and waits for ``onSpace(_:)``. False with
    /// nothing queued once stopping.
    func pushNow(_ ops: [WriteOp]) -> (accepted: Bool, full: Bool) {
        condition.withLock {
            if stopping { return (false, false) }
            Self.begin(ops)
            if pending.isEmpty {
                firstPendingAt = Date()
                // Take the caller's array as it is (no copy of each write, no release of the originals).
                pending = ops
            } else {
                pending.append(contentsOf: ops)
            }
            if ops.contains(where: { $0.completion != nil }) { acknowledgedWaiting = true }
            if acknowledgedWaiting || pending.count >= maxBatch || pending.count == ops.count {
                condition.signal()
            }
            return (true, pending.count >= maxQueued)
        }
    }

    /// Calls `callback` once the queue has room again (at once if it has).
    func onSpace(_ callback: @escaping @Sendable () -> Void) {
        let now: Bool = condition.withLock {
            if pending.count < maxQueued || stopping { return true }
            spaceCallbacks.append(callback)
            return false
        }
        if now { callback() }
    }

    /// Counts the writes in flight per connection: one atomic when they all come from one.
    private static func begin(_ ops: [WriteOp]) {
        guard let first = ops.first?.tracker else {
            for op in ops { op.tracker?.begin(1) }
            return
        }
        if ops.allSatisfy({ $0.tracker === first }) {
            first.begin(ops.count)
        } else {
            for op in ops { op.tracker?.begin(1) }
        }
    }

    /// Blocks until a batch is due; nil once stopping and drained. With `wakeAfter`, returns an
    /// empty batch when that many seconds pass with no batch due (the writer's idle heartbeat).
    func takeBatch(wakeAfter: TimeInterval? = nil) -> [WriteOp]? {
        condition.lock()
        defer { condition.unlock() }
        let wakeAt = wakeAfter.map { Date().addingTimeInterval($0) }
        var yields = 0
        while true {
            var flushAt: Date?
            if pending.isEmpty {
                if stopping { return nil }
                // Right after a batch that answered requests, their next requests are on their way:
                // give the core away a few times before sleeping (a wake-up costs more than a yield
                // on a busy machine).
                if lastBatchAnswered, yields < Self.yieldsBeforeSleep {
                    yields += 1
                    condition.unlock()
                    sched_yield()
                    condition.lock()
                    continue
                }
            } else {
                if acknowledgedWaiting || stopping || pending.count >= maxBatch { break }
                let deadline = (firstPendingAt ?? Date()).addingTimeInterval(flushInterval)
                if Date() >= deadline { break }
                flushAt = deadline
            }
            if let wakeAt, Date() >= wakeAt { return [] }
            switch (flushAt, wakeAt) {
            case (let f?, let w?): _ = condition.wait(until: min(f, w))
            case (let f?, nil): _ = condition.wait(until: f)
            case (nil, let w?): _ = condition.wait(until: w)
            case (nil, nil): condition.wait()
            }
        }
        let batch = pending
        pending = []
        lastBatchAnswered = acknowledgedWaiting
        acknowledgedWaiting = false
        firstPendingAt = nil
        let waiters = spaceWaiters
        spaceWaiters = []
        for w in waiters { w.resume() }
        let callbacks = spaceCallbacks
        spaceCallbacks = []
        for c in callbacks { c() }
        return batch
    }

    /// Lets the writer drain what is queued and stop; later pushes are refused.
    func stop() {
        condition.withLock {
            stopping = true
            let waiters = spaceWaiters
            spaceWaiters = []
            for w in waiters { w.resume() }
            for c in spaceCallbacks { c() }
            spaceCallbacks = []
            condition.broadcast()
        }
    }
}
