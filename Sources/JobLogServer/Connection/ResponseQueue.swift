import Synchronization

/// The bounded FIFO between a connection's reader and its responder.
///
/// When a client sends requests but never reads the responses, the responder
/// stalls on the socket, this queue fills, and the reader stops reading: the
/// daemon buffers at most `capacity` pending responses per connection.
final class ResponseQueue: Sendable {
    private struct State {
        var items: [PendingResponse] = []
        var head = 0
        var finished = false
        var consumer: CheckedContinuation<PendingResponse?, Never>?
        var producer: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Appends; suspends while the queue is full.
    func push(_ item: PendingResponse) async {
        while true {
            let room = state.withLock { $0.items.count - $0.head < capacity }
            if room { break }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.items.count - s.head < capacity { return true }
                    s.producer = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
        let consumer = state.withLock { s -> CheckedContinuation<PendingResponse?, Never>? in
            if let c = s.consumer {
                s.consumer = nil
                return c
            }
            s.items.append(item)
            return nil
        }
        consumer?.resume(returning: item)
    }

    /// No more items will come.
    func finish() {
        let consumer = state.withLock { s -> CheckedContinuation<PendingResponse?, Never>? in
            s.finished = true
            let c = s.consumer
            s.consumer = nil
            return c
        }
        consumer?.resume(returning: nil)
    }

    /// The next item, waiting for one; nil once finished and drained.
    func pop() async -> PendingResponse? {
        if let item = tryPop() { return item }
        return await withCheckedContinuation { (c: CheckedContinuation<PendingResponse?, Never>) in
            let now = state.withLock { s -> (Bool, PendingResponse?) in
                if s.head < s.items.count { return (true, take(&s)) }
                if s.finished { return (true, nil) }
                s.consumer = c
                return (false, nil)
            }
            if now.0 { c.resume(returning: now.1) }
        }
    }

    /// The next item if one is queued and already answered.
    func popIfReady() -> PendingResponse? {
        state.withLock { s in
            guard s.head < s.items.count, s.items[s.head].isReady else { return nil }
            return take(&s)
        }
    }

    private func tryPop() -> PendingResponse? {
        state.withLock { s in s.head < s.items.count ? take(&s) : nil }
    }

    private func take(_ s: inout State) -> PendingResponse {
        let item = s.items[s.head]
        s.head += 1
        if s.head > 1024, s.head * 2 > s.items.count {
            s.items.removeFirst(s.head)
            s.head = 0
        }
        if let p = s.producer {
            s.producer = nil
            p.resume()
        }
        return item
    }
}
