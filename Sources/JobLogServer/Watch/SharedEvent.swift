import JobLogModel
import JobLogProtocol
import JobLogStore
import Synchronization

/// A committed event on its way to every subscriber: encoded once, by whichever
/// delivery task needs it first; each subscriber only adds its own prefix.
final class SharedEvent: Sendable {
    let event: CommittedEvent
    private let encoded = Mutex<[UInt8]?>(nil)

    /// Estimated bytes of the event's line, counted against the queues that hold it.
    let cost: Int
    /// Whether it is a log entry (what a live view's pace counts).
    let isLog: Bool

    init(_ event: CommittedEvent) {
        self.event = event
        cost = Self.estimate(event)
        if case .log = event.kind { isLog = true } else { isLog = false }
    }

    /// The variable parts of the line, plus a fixed allowance for the rest.
    static func estimate(_ e: CommittedEvent) -> Int {
        let fixed = 256 + e.jobName.utf8.count
        switch e.kind {
        case .log(let entry):
            return fixed + entry.message.utf8.count * 2 + entry.context.byteCount + (entry.stage?.utf8.count ?? 0)
        case .stage(let s): return fixed + s.utf8.count
        case .outcome(let counters): return fixed + counters.entries.count * 64
        default: return fixed
        }
    }

    /// The event's line after the subscription member.
    var body: [UInt8] {
        encoded.withLock { cached in
            if let cached { return cached }
            let b = WatchEvent.body(jobRunId: event.runID, at: event.at, kind: Self.kind(event))
            cached = b
            return b
        }
    }

    static func kind(_ e: CommittedEvent) -> WatchEvent.Kind {
        switch e.kind {
        case .started: .runStarted(jobName: e.jobName)
        case .stage(let s): .stage(s)
        case .progress(let current, let total): .progress(current: current, total: total)
        case .log(let entry): .log(entry)
        case .outcome(let counters): .outcome(counters)
        case .finished(let status): .runFinished(status)
        case .stalled(let since): .stalled(since: since)
        case .unstalled: .unstalled
        case .slow: .slow
        case .cancelRequested(let reason): .cancelRequested(reason: reason)
        }
    }
}
