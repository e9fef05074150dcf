import JobLogModel
import JobLogProtocol
import Synchronization

/// One commit's events as every subscription shares them: the writer's array, wrapped once per
/// commit (no allocation or copy per event on the writer thread, whatever the number of
/// watchers); each event encoded by the first delivery that writes it, and kept for the others.
final class CommitEvents: Sendable {
    let events: [CommittedEvent]
    /// The encoded bodies, made on demand (a paced live view skips most entries of a busy run:
    /// those are never encoded).
    private let bodies = Mutex<[[UInt8]?]>([])

    init(_ events: [CommittedEvent]) { self.events = events }

    /// The event's line after the subscription member (``WatchEvent/body(jobRunId:at:kind:)``).
    func body(_ index: Int) -> [UInt8] {
        bodies.withLock { cache in
            if cache.isEmpty { cache = Array(repeating: nil, count: events.count) }
            if let body = cache[index] { return body }
            let e = events[index]
            let body = WatchEvent.body(jobRunId: e.runID, at: e.at, kind: SharedEvent.kind(e))
            cache[index] = body
            return body
        }
    }
}
