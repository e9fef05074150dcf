import JobLogModel
import JobLogProtocol
import JobLogStore

/// A committed event on its way to every subscriber: its commit's shared events and its place
/// there. Encoded once, by whichever delivery task needs it first (``CommitEvents/body(_:)``);
/// each subscriber only adds its own prefix.
struct SharedEvent: Sendable {
    let commit: CommitEvents
    let index: Int

    init(_ commit: CommitEvents, _ index: Int) {
        self.commit = commit
        self.index = index
    }

    /// An event in a commit of its own.
    init(_ event: CommittedEvent) { self.init(CommitEvents([event]), 0) }

    var event: CommittedEvent { commit.events[index] }
    var runID: Int64 { commit.events[index].runID }

    /// Whether it is a log entry (what a live view's pace counts).
    var isLog: Bool { if case .log = commit.events[index].kind { true } else { false } }
    var isProgress: Bool { if case .progress = commit.events[index].kind { true } else { false } }
    /// The log entry's id, for a log entry.
    var logID: Int64? { if case .log(let entry) = commit.events[index].kind { entry.id } else { nil } }

    /// Estimated bytes of the event's line, counted against the queues that hold it.
    var cost: Int { Self.estimate(commit.events[index]) }

    /// The event's line after the subscription member.
    var body: [UInt8] { commit.body(index) }

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
