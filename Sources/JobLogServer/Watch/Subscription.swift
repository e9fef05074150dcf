import JobLogModel
import JobLogProtocol
import JobLogStore

/// One `watch`: what it follows, its queue, and the task that delivers to the connection.
final class Subscription: Sendable {
    enum Filter: Sendable {
        case run(Int64)
        case job(String)
        case all
    }

    let id: UInt64
    let filter: Filter
    let minLevel: LogLevel
    let queue = EventQueue()

    init(id: UInt64, filter: Filter, minLevel: LogLevel) {
        self.id = id
        self.filter = filter
        self.minLevel = minLevel
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

    /// Delivers events until the queue closes or the connection breaks. Progress is
    /// sent at most about ten times a second: after a write that carried progress, the
    /// task waits 100 ms while newer values coalesce.
    func deliver(to write: @escaping @Sendable ([UInt8]) async throws -> Void) async {
        let name = String(id)
        var lastLogID: Int64 = 0
        while let (events, dropped) = await queue.take() {
            var out: [UInt8] = []
            if dropped > 0 {
                let single: Int64? = if case .run(let r) = filter { r } else { nil }
                let lagged = WatchEvent(
                    subscription: name, jobRunId: single, at: .now(),
                    kind: .lagged(dropped: dropped, resumeAfterId: lastLogID))
                out += lagged.line
                out.append(0x0A)
            }
            var sentProgress = false
            for e in events {
                let kind: WatchEvent.Kind
                switch e.kind {
                case .started: kind = .runStarted(jobName: e.jobName)
                case .stage(let s): kind = .stage(s)
                case .progress(let current, let total):
                    kind = .progress(current: current, total: total)
                    sentProgress = true
                case .log(let entry):
                    kind = .log(entry)
                    lastLogID = max(lastLogID, entry.id)
                case .outcome(let counters): kind = .outcome(counters)
                case .finished(let status): kind = .runFinished(status)
                }
                out += WatchEvent(subscription: name, jobRunId: e.runID, at: e.at, kind: kind).line
                out.append(0x0A)
            }
            do {
                try await write(out)
            } catch {
                queue.close()
                return
            }
            if sentProgress { try? await Task.sleep(for: .milliseconds(100)) }
        }
    }
}
