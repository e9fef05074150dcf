import JobLogStore
import Synchronization

/// One subscriber's bounded queue of committed events.
///
/// Bounded in events (`capacity`), in bytes (`maxBytes`) and, with the other subscriptions of
/// its connection, in the connection's bytes (``WatchBytes``). Filled on the writer thread
/// (never blocks: over any bound the queue is emptied and the loss is counted), drained by the subscriber's delivery task. Progress
/// events of a run coalesce while waiting: only the latest value is kept, in the
/// place of the first, until another event of that run seals it (commit order
/// per run is kept).
final class EventQueue: Sendable {
    enum Item: Sendable {
        case event(SharedEvent)
        /// The latest progress of a run, read from `latest` when taken.
        case progress(Int64)
    }

    private struct State {
        var items: [Item] = []
        var latest: [Int64: SharedEvent] = [:]
        var dropped: Int64 = 0
        /// The estimated bytes of what `items` holds.
        var bytes = 0
        var closed = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    static let capacity = 4096
    /// Bytes one subscriber may have queued.
    static let maxBytes = 8 << 20
    private let state = Mutex(State())
    private let connectionBytes: WatchBytes

    init(connectionBytes: WatchBytes) { self.connectionBytes = connectionBytes }

    /// Adds a commit's events (already filtered for this subscriber); never blocks.
    func push(_ events: [SharedEvent]) {
        guard !events.isEmpty else { return }
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.closed else { return nil }
            for shared in events {
                let run = shared.event.runID
                if case .progress = shared.event.kind {
                    if s.latest.updateValue(shared, forKey: run) == nil {
                        s.items.append(.progress(run))
                        s.bytes += shared.cost
                        connectionBytes.add(shared.cost)
                    }
                } else {
                    if let pending = s.latest.removeValue(forKey: run),
                        let i = s.items.lastIndex(where: { if case .progress(run) = $0 { true } else { false } })
                    {
                        s.items[i] = .event(pending)
                    }
                    s.items.append(.event(shared))
                    s.bytes += shared.cost
                    connectionBytes.add(shared.cost)
                }
                if s.items.count > Self.capacity || s.bytes > Self.maxBytes
                    || connectionBytes.bytes > connectionBytes.limit
                {
                    s.dropped += Int64(s.items.count)
                    s.items.removeAll()
                    s.latest.removeAll()
                    connectionBytes.remove(s.bytes)
                    s.bytes = 0
                }
            }
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Waits for events; returns them with the number dropped since the last take and their bytes,
    /// which stay counted for the connection until the caller calls ``release(_:)``. Nil once closed.
    func take() async -> (events: [SharedEvent], dropped: Int64, bytes: Int)? {
        while true {
            let taken = state.withLock { s -> (events: [SharedEvent], dropped: Int64, bytes: Int)?? in
                if s.closed { return .some(nil) }
                guard !s.items.isEmpty || s.dropped > 0 else { return nil }
                let events = s.items.compactMap { item -> SharedEvent? in
                    switch item {
                    case .event(let e): return e
                    case .progress(let run): return s.latest[run]
                    }
                }
                let dropped = s.dropped
                let bytes = s.bytes
                s.items.removeAll(keepingCapacity: true)
                s.latest.removeAll(keepingCapacity: true)
                s.dropped = 0
                s.bytes = 0
                return .some((events, dropped, bytes))
            }
            if let taken { return taken }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.closed || !s.items.isEmpty || s.dropped > 0 { return true }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
    }

    /// Releases the bytes of taken events once they are written (or their write failed).
    func release(_ bytes: Int) { connectionBytes.remove(bytes) }

    /// Ends the queue; the delivery task stops.
    func close() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.closed = true
            s.items.removeAll()
            s.latest.removeAll()
            connectionBytes.remove(s.bytes)
            s.bytes = 0
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }
}
