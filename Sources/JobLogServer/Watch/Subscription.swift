import JobLogModel
import JobLogProtocol
import JobLogStore

/// One `watch`: what it follows, its queue, and the task that delivers to the connection.
final class Subscription: Sendable {
    enum Filter: Sendable, Hashable {
        case run(Int64)
        case job(String)
        case all
    }

    let id: UInt64
    let filter: Filter
    let minLevel: LogLevel
    let queue: EventQueue
    private let stats: ServerStats?

    init(id: UInt64, filter: Filter, minLevel: LogLevel, connectionBytes: WatchBytes, stats: ServerStats? = nil) {
        self.queue = EventQueue(connectionBytes: connectionBytes)
        self.id = id
        self.filter = filter
        self.minLevel = minLevel
        self.stats = stats
    }

    /// Whether this subscriber wants the event.
    func matches(_ event: CommittedEvent) -> Bool {
        switch filter {
        case .run(let r): if event.runID != r { return false }
        case .job(let name): if event.jobName != name { return false }
        case .all: break
        }
        if case .log(let entry) = event.kind, entry.level < minLevel { return false }
        return true
    }

    /// Delivers events, framed for the transport, until the queue closes or the connection breaks;
    /// with `logRate`, at most that many log entries a second (``LogPace``: the rest are told as `lagged`).
    func deliver(
        to write: @escaping @Sendable ([UInt8]) async throws -> Void, framing: EventFraming = .lines,
        logRate: Int? = nil
    ) async {
        let head = framing.head(subscription: String(id))
        var lastLogID: Int64 = 0
        var pace = logRate.map { LogPace(perSecond: $0) }
        while let (events, dropped, bytes) = await queue.take(logBudget: pace == nil ? nil : { pace!.available() }) {
            let bodies = events.map(\.body)
            var out: [UInt8] = []
            out.reserveCapacity(bodies.reduce(dropped > 0 ? 256 : 0) { $0 + head.count + $1.count + 10 })
            if dropped > 0 {
                stats?.current?.lagged(dropped)
                let single: Int64? = if case .run(let r) = filter { r } else { nil }
                let lagged = WatchEvent.body(
                    jobRunId: single, at: .now(), kind: .lagged(dropped: dropped, resumeAfterId: lastLogID))
                framing.append(head: head, body: lagged, to: &out)
            }
            var onlyProgress = !events.isEmpty
            var logs = 0
            for (shared, body) in zip(events, bodies) {
                if let id = shared.logID {
                    lastLogID = max(lastLogID, id)
                    logs += 1
                }
                if !shared.isProgress { onlyProgress = false }
                framing.append(head: head, body: body, to: &out)
            }
            pace?.spend(logs)
            do {
                try await write(out)
                queue.release(bytes)
            } catch {
                queue.release(bytes)
                queue.close()
                return
            }
            // A stream of progress alone is paced to about ten lines a second per run (newer values
            // replace older ones in the queue meanwhile); anything else is sent as it comes, but
            // past its log rate a live view waits a tenth of a second (the queue holds, or drops
            // and counts, what comes meanwhile).
            if onlyProgress || pace?.exhausted == true { try? await Task.sleep(for: .milliseconds(100)) }
        }
    }
}
