import JobLogStore
import Synchronization

/// One subscriber's bounded queue of committed events.
///
/// Bounded in events (`capacity`), in bytes (`maxBytes`) and, with the other subscriptions of
/// its connection, in the connection's bytes (``WatchBytes``). Filled on the writer thread
/// (never blocks: over any bound the queue is emptied and the loss is counted), drained by the
/// subscriber's delivery task. A commit's events without progress are queued as their shared
/// chunk (one append per subscriber, whatever their number). Progress events of a run coalesce
/// while waiting: only the latest value is kept, in the place of the first, until another
/// event of that run (or a chunk) seals it (commit order per run is kept).
final class EventQueue: Sendable {
    enum Item: Sendable {
        case event(SharedEvent)
        /// The latest progress of a run, read from `latest` when taken.
        case progress(Int64)
        /// A commit's events without progress, shared with the queues of like subscribers: those
        /// from `from` on, of which `logs` are log entries.
        case chunk(EventChunk, from: Int, logs: Int)
    }

    private struct State {
        var items: [Item] = []
        /// The events `items` holds.
        var count = 0
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
    func push(_ chunk: EventChunk) {
        guard chunk.count > 0 else { return }
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.closed else { return nil }
            if chunk.hasProgress {
                for i in 0..<chunk.count { add(chunk[i], to: &s) }
            } else {
                append(chunk, to: &s)
            }
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// A chunk without progress: one append, however many events.
    private func append(_ chunk: EventChunk, to s: inout State) {
        // The pending progress values of the chunk's runs are sealed (kept as they are, in
        // their place): later values of those runs come after this chunk's events.
        if !s.latest.isEmpty {
            for i in 0..<chunk.count { seal(chunk[i].runID, &s) }
        }
        // Over a bound with this chunk: what was queued before goes (as one event at a time
        // would have gone); of a chunk over a bound alone, only its newest events that fit stay.
        if s.count + chunk.count > Self.capacity || s.bytes + chunk.cost > Self.maxBytes
            || connectionBytes.bytes + chunk.cost > connectionBytes.limit
        {
            dropAll(&s)
        }
        let room = min(Self.maxBytes, connectionBytes.limit - connectionBytes.bytes)
        if chunk.count <= Self.capacity, chunk.cost <= room {
            s.items.append(.chunk(chunk, from: 0, logs: chunk.logCount))
            s.count += chunk.count
            s.bytes += chunk.cost
            connectionBytes.add(chunk.cost)
        } else {
            var from = chunk.count
            var cost = 0
            while from > 0, chunk.count - from < Self.capacity, cost + chunk[from - 1].cost <= room {
                from -= 1
                cost += chunk[from].cost
            }
            s.dropped += Int64(from)
            if from < chunk.count {
                let logs = (from..<chunk.count).reduce(0) { $0 + (chunk[$1].isLog ? 1 : 0) }
                s.items.append(.chunk(chunk, from: from, logs: logs))
                s.count += chunk.count - from
                s.bytes += cost
                connectionBytes.add(cost)
            }
        }
    }

    private func add(_ shared: SharedEvent, to s: inout State) {
        let run = shared.runID
        if shared.isProgress {
            if s.latest.updateValue(shared, forKey: run) == nil {
                s.items.append(.progress(run))
                s.count += 1
                s.bytes += shared.cost
                connectionBytes.add(shared.cost)
            }
        } else {
            seal(run, &s)
            s.items.append(.event(shared))
            s.count += 1
            s.bytes += shared.cost
            connectionBytes.add(shared.cost)
        }
        overflowIfFull(&s)
    }

    /// The pending progress value of `run`, if any, becomes a plain event in its place.
    private func seal(_ run: Int64, _ s: inout State) {
        if let pending = s.latest.removeValue(forKey: run),
            let i = s.items.lastIndex(where: { if case .progress(run) = $0 { true } else { false } })
        {
            s.items[i] = .event(pending)
        }
    }

    /// Over any bound, everything queued is dropped and counted.
    private func overflowIfFull(_ s: inout State) {
        guard s.count > Self.capacity || s.bytes > Self.maxBytes || connectionBytes.bytes > connectionBytes.limit
        else { return }
        dropAll(&s)
    }

    private func dropAll(_ s: inout State) {
        s.dropped += Int64(s.count)
        s.items.removeAll()
        s.count = 0
        s.latest.removeAll()
        connectionBytes.remove(s.bytes)
        s.bytes = 0
    }

    /// Waits for events; returns them with the number dropped since the last take and their bytes,
    /// which stay counted for the connection until the caller calls ``release(_:)``. Nil once closed.
    ///
    /// With `logBudget` (asked when the events are taken): at most that many log entries, the
    /// newest; the older ones are counted as dropped, and a chunk of only such entries is passed
    /// over whole (a paced live view behind a busy run touches none of them).
    func take(logBudget: (() -> Int)? = nil) async -> (events: [SharedEvent], dropped: Int64, bytes: Int)? {
        while true {
            let taken = state.withLock { s -> (events: [SharedEvent], dropped: Int64, bytes: Int)?? in
                if s.closed { return .some(nil) }
                guard !s.items.isEmpty || s.dropped > 0 else { return nil }
                var skip = 0
                if let logBudget {
                    var logs = 0
                    for item in s.items {
                        switch item {
                        case .event(let e): if e.isLog { logs += 1 }
                        case .progress: break
                        case .chunk(_, _, let n): logs += n
                        }
                    }
                    skip = max(0, logs - max(0, logBudget()))
                }
                let thinned = skip
                var events: [SharedEvent] = []
                events.reserveCapacity(s.count - skip)
                for item in s.items {
                    switch item {
                    case .event(let e):
                        if skip > 0, e.isLog { skip -= 1 } else { events.append(e) }
                    case .progress(let run):
                        if let e = s.latest[run] { events.append(e) }
                    case .chunk(let c, let from, let logs):
                        if skip == 0 {
                            for i in from..<c.count { events.append(c[i]) }
                        } else if logs == c.count - from {
                            // Only log entries: the oldest `skip` of them go, the rest are taken.
                            let start = from + min(skip, logs)
                            skip -= start - from
                            for i in start..<c.count { events.append(c[i]) }
                        } else {
                            for i in from..<c.count {
                                let e = c[i]
                                if skip > 0, e.isLog { skip -= 1 } else { events.append(e) }
                            }
                        }
                    }
                }
                let dropped = s.dropped + Int64(thinned)
                let bytes = s.bytes
                s.items.removeAll(keepingCapacity: true)
                s.count = 0
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
            s.count = 0
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
