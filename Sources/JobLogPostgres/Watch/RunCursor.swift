import JobLogModel

/// What a daemon has told its watchers of one run that another daemon writes: the last log id
/// and stage row delivered and the run's fields as last told. ``advance(_:)`` turns what the
/// database holds now into the events a local watcher would have had, in commit order.
struct RunCursor {
    var jobName: String
    var lastLogID: Int64
    var lastStageID: Int64
    var status: RunStatus
    var stage: String?
    var progressCurrent: Int64
    var progressTotal: Int64?
    var outcome: OutcomeCounters
    var cancelRequested: Bool
    var stalledSince: Timestamp?
    var slow: Bool
    /// The feed's look counter when the run last changed (the least recent is forgotten first).
    var touched: UInt64 = 0
    /// The run row as of the last complete look: a sweep reads no entries while it is the same.
    var mark: Mark?

    /// What changes in a run row whenever an entry or a stage row is written to the run (every
    /// entry counts, kept or dropped by the budget; a stage change moves the stage).
    struct Mark: Equatable {
        var entries: Int64
        var stage: String?
        var heartbeat: Int64
        var status: RunStatus

        init(_ run: RunRecord) {
            entries = run.logCounts.total + run.droppedLogCounts.total
            stage = run.currentStage
            heartbeat = run.lastHeartbeatAt.milliseconds
            status = run.status
        }
    }

    /// A run as it was told to watchers before anything was written to it (a run that started
    /// elsewhere after this daemon began listening): everything it holds is still to be told.
    init(fresh run: RunRecord) {
        jobName = run.jobName
        lastLogID = 0
        lastStageID = 0
        status = .running
        stage = nil
        progressCurrent = 0
        progressTotal = nil
        outcome = OutcomeCounters()
        cancelRequested = false
        stalledSince = nil
        slow = false
    }

    /// A run as the database holds it now (its past is not told again).
    init(baseline run: RunRecord, lastLogID: Int64, lastStageID: Int64, cancelKnown: Bool) {
        jobName = run.jobName
        self.lastLogID = lastLogID
        self.lastStageID = lastStageID
        status = run.status
        stage = run.currentStage
        progressCurrent = run.progressCurrent
        progressTotal = run.progressTotal
        outcome = run.outcome
        cancelRequested = cancelKnown
        stalledSince = run.stalledSince
        slow = run.slow
    }

    /// One stage row (`stages`): `position` is the id of its `Stage: …` entry (nil for rows
    /// written before migration p4: told after the look's entries).
    struct StageRow: Sendable {
        var id: Int64
        var stage: String
        var startedAt: Timestamp
        var position: Int64?
    }

    /// What one look read of a run, in one snapshot.
    struct Look: Sendable {
        var run: RunRecord
        /// Entries after ``lastLogID`` at the watched level, in id order (empty when nobody watches).
        var logs: [LogRecord] = []
        /// False when `logs` is a full page: more remain, and the run's own fields wait for them.
        var logsComplete = true
        /// When no entries were read (nobody watches them): the run's newest entry id.
        var newestLogID: Int64?
        /// Stage rows after ``lastStageID``, in id order.
        var stages: [StageRow] = []
    }

    /// The events that bring a watcher from this cursor to `look`, in commit order; moves the
    /// cursor there. Entries and stage changes interleave by position; the run's own fields
    /// (outcome, cancel request, stall, progress: the latest value only) follow, and its end last.
    mutating func advance(_ look: Look, now: Timestamp = .now()) -> [CommittedEvent] {
        let run = look.run
        var events: [CommittedEvent] = []
        func emit(_ kind: CommittedEvent.Kind, _ at: Timestamp) {
            events.append(CommittedEvent(runID: run.id, jobName: jobName, at: at, kind: kind))
        }
        let toldUpTo = lastLogID
        var stageIndex = look.stages.startIndex
        /// Stage rows placed before entry `limit` (all of them with nil).
        func stages(before limit: Int64?) {
            while stageIndex < look.stages.endIndex {
                let row = look.stages[stageIndex]
                if let limit, row.position.map({ $0 >= limit }) ?? true { return }
                // A stage placed among entries already told was told with them (here or locally).
                if row.position.map({ $0 > toldUpTo }) ?? true { emit(.stage(row.stage), row.startedAt) }
                stage = row.stage
                lastStageID = max(lastStageID, row.id)
                stageIndex += 1
            }
        }
        for entry in look.logs where entry.id > lastLogID {
            stages(before: entry.id)
            emit(.log(entry), entry.createdAt)
            lastLogID = entry.id
        }
        guard look.logsComplete else {
            stages(before: lastLogID + 1)
            return events
        }
        if let newest = look.newestLogID { lastLogID = max(lastLogID, newest) }
        stages(before: nil)
        // Stage changes past the 1,000 rows a run keeps are known only from the run row.
        if let current = run.currentStage, current != stage, run.status == .running {
            emit(.stage(current), now)
            stage = current
        }
        if run.outcome != outcome {
            outcome = run.outcome
            emit(.outcome(run.outcome), now)
        }
        if run.cancelRequestedAt != nil, !cancelRequested {
            cancelRequested = true
            if run.status == .running { emit(.cancelRequested(reason: run.cancelReason ?? ""), now) }
        }
        if run.stalledSince != stalledSince {
            if let since = run.stalledSince {
                emit(.stalled(since: since), now)
            } else if run.status == .running {
                emit(.unstalled, now)
            }
            stalledSince = run.stalledSince
        }
        if run.slow, !slow {
            slow = true
            emit(.slow, now)
        }
        if run.progressCurrent != progressCurrent || run.progressTotal != progressTotal {
            progressCurrent = run.progressCurrent
            progressTotal = run.progressTotal
            emit(.progress(current: run.progressCurrent, total: run.progressTotal), now)
        }
        if run.status != .running, status == .running {
            emit(.finished(run.status), run.finishedAt ?? now)
        }
        status = run.status
        return events
    }

    /// Follows what this daemon's own writer committed to the run (told to watchers locally),
    /// so a later look does not tell it again.
    mutating func observe(_ event: CommittedEvent) {
        switch event.kind {
        case .log(let entry): lastLogID = max(lastLogID, entry.id)
        case .stage(let s): stage = s
        case .progress(let current, let total):
            progressCurrent = current
            progressTotal = total
        case .outcome(let counters): outcome = counters
        case .finished(let s): status = s
        case .stalled(let since): stalledSince = since
        case .unstalled: stalledSince = nil
        case .slow: slow = true
        case .cancelRequested: cancelRequested = true
        case .started: break
        }
    }
}
