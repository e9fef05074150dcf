import JobLogModel
import JobLogRules

/// A store for the rules alone: it records every effect the machine asks for, keeps the log
/// entries it was given (minus the ones the budget dropped), and numbers entries from 1.
struct RecordingEffects: RunEffects {
    enum Effect: Equatable {
        case appendLog(level: LogLevel, message: String, context: String, at: Timestamp, stage: String?)
        case dropOldestLog(LogLevel)
        case beginStage(stage: String, message: String, at: Timestamp, progress: Int64)
        case endStage(at: Timestamp, progress: Int64)
        case jobSucceeded(String)
    }

    struct Entry: Equatable {
        var id: Int64
        var level: LogLevel
        var message: String
    }

    var effects: [Effect] = []
    var events: [CommittedEvent.Kind] = []
    /// The entries kept, in id order.
    var entries: [Entry] = []
    var nextID: Int64 = 1
    /// What ``slowWarning(_:)`` answers.
    var slowAnswer: String?

    mutating func appendLog(
        run: Int64, stage: String?, level: LogLevel, message: String, context: String, at: Timestamp
    ) throws -> Int64 {
        effects.append(.appendLog(level: level, message: message, context: context, at: at, stage: stage))
        defer { nextID += 1 }
        entries.append(Entry(id: nextID, level: level, message: message))
        return nextID
    }

    mutating func dropOldestLog(run: Int64, level: LogLevel) throws {
        effects.append(.dropOldestLog(level))
        if let i = entries.firstIndex(where: { $0.level == level }) { entries.remove(at: i) }
    }

    mutating func beginStage(run: Int64, stage: String, message: String, at: Timestamp, progress: Int64) throws {
        effects.append(.beginStage(stage: stage, message: message, at: at, progress: progress))
    }

    mutating func endStage(run: Int64, at: Timestamp, progress: Int64) throws {
        effects.append(.endStage(at: at, progress: progress))
    }

    mutating func jobSucceeded(job: String, at: Timestamp) throws {
        effects.append(.jobSucceeded(job))
    }

    mutating func slowWarning(_ run: RunRecord) throws -> String? { slowAnswer }

    mutating func emit(_ event: consuming CommittedEvent) {
        events.append(event.kind)
    }

    /// The log entries written, as (level, message).
    var logged: [(LogLevel, String)] {
        effects.compactMap {
            if case .appendLog(let level, let message, _, _, _) = $0 { return (level, message) }
            return nil
        }
    }

    /// The context of the last entry written.
    var lastContext: String? {
        for effect in effects.reversed() {
            if case .appendLog(_, _, let context, _, _) = effect { return context }
        }
        return nil
    }

    /// The events' names (`started`, `stage`, `progress`, …).
    var eventNames: [String] {
        events.map { kind in
            switch kind {
            case .started: "started"
            case .stage: "stage"
            case .progress: "progress"
            case .log: "log"
            case .outcome: "outcome"
            case .finished: "finished"
            case .stalled: "stalled"
            case .unstalled: "unstalled"
            case .slow: "slow"
            case .cancelRequested: "cancelRequested"
            }
        }
    }
}
