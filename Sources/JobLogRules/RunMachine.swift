import JobLogJSON
import JobLogModel

/// The rules are `@inlinable`: a store's writer gets them specialized for its effects type
/// (measured: unspecialized, the generic calls cost ~800 instructions per log entry).
///
/// The run rules (PROTOCOL.md §6–8) as a value: a run's state, and what each command does to it.
///
/// A store keeps one machine per run it is writing to, applies each command with
/// ``apply(_:at:jobTime:caller:settings:effects:)`` inside its transaction, and performs the
/// effects the machine asks for through its ``RunEffects`` (log rows, the stage timeline, events
/// for watchers). The machine itself touches no database and no socket: every rule is here once,
/// whichever store runs it.
///
/// The rules, in short:
/// - Only a RUNNING run takes writes; a finished one answers ``RunRefusal/runFinished(_:_:)``
///   (except `logSummary`, which only reads what is stored).
/// - Only its owner (or a trusted uid) may write to a run (``Permissions/mayWrite(owner:caller:)``).
/// - The job's own commands are signs of life: the heartbeat moves, and a stalled run resumes
///   with an info entry `Progress resumed after …`.
/// - A stage change logs `Stage: <name>` (or the job's message) and opens the stage in the timeline.
/// - `logSummary` logs the milestone `Summary` with the outcome, the progress and the elapsed time.
/// - Finishing logs the error message (with its stack), closes the open stage and saves the counters;
///   a SUCCESS much slower than usual is flagged slow with a warning.
/// - A cancel request logs `Cancel requested: <reason>`; a run cancelled after it logs how long it
///   took to stop. A run whose owner went away is ABANDONED (`Run abandoned: …`), or CANCELLED
///   when a cancel request was pending.
/// - The log budget: past `maxLogsPerRun` entries, the oldest debug entry goes first, then the oldest
///   info entry; milestones, warnings and errors are never dropped (a new debug or info entry is
///   dropped itself when only such entries are left).
/// - Watchers see, per run and in order: `started`, then each change; several progress changes in
///   one transaction are told once (``flushProgress(at:effects:)``), before the run's next other event.
public struct RunMachine: Sendable {
    /// The run as the rules see it (the row the store writes back at commit).
    public var run: RunRecord
    /// A progress change not told to watchers yet (one progress event per run per transaction).
    public var progressPending = false

    @inlinable
    public init(_ run: RunRecord) {
        self.run = run
    }

    /// A new RUNNING run with id `id` (the store assigned it), told to watchers as `started`.
    @inlinable
    public static func start<E: RunEffects>(_ new: NewRun, id: Int64, at now: Timestamp, effects: inout E)
        -> RunMachine
    {
        var run = RunRecord(
            id: id, jobName: new.jobName, status: .running, trigger: new.trigger, scope: new.scope,
            algorithmVersion: new.algorithmVersion, startedAt: now, lastHeartbeatAt: now,
            params: RawJSON(validating: new.params) ?? .emptyObject, ownerPid: new.ownerPid, ownerUid: new.ownerUid)
        run.stallAfterMs = new.stallAfterMs
        run.node = new.node
        let machine = RunMachine(run)
        effects.emit(CommittedEvent(runID: id, jobName: new.jobName, at: now, kind: .started))
        return machine
    }

    /// Applies one command. `now` is when the daemon read it (heartbeat, events); `jobTime` the
    /// job's own time of the call when it sent one (the `createdAt` of the entry it writes);
    /// `caller` the writer's uid (nil: trusted). Refusals are answers; only the effects throw.
    @inlinable
    public mutating func apply<E: RunEffects>(
        _ command: RunCommand, at now: Timestamp, jobTime: Timestamp? = nil, caller: UInt32?,
        settings: RuleSettings, effects: inout E
    ) throws -> RunAnswer {
        if case .logSummary = command {
            // Allowed on a finished run: it only reads the stored values.
            guard settings.permissions.mayWrite(owner: run.ownerUid, caller: caller) else { return notPermitted }
            return try summary(at: now, settings, &effects)
        }
        guard run.status == .running else { return .refused(.runFinished(run.id, run.status)) }
        guard settings.permissions.mayWrite(owner: run.ownerUid, caller: caller) else { return notPermitted }
        if command.isSignOfLife {
            run.lastHeartbeatAt = now
            if run.stalledSince != nil { try unstall(at: now, settings, &effects) }
        }
        switch command {
        case .setStage(let stage, let message):
            let text = message ?? "Stage: \(stage)"
            let at = jobTime ?? now
            run.currentStage = stage
            try effects.beginStage(run: run.id, stage: stage, message: text, at: at, progress: run.progressCurrent)
            let context = JSONWriter.string(.object(JSONObject([("stage", .string(stage))])))
            _ = try log(.info, text, context, at: at, settings, &effects)
            flushProgress(at: now, effects: &effects)
            emit(.stage(stage), at: now, &effects)
        case .setTotal(let total, let unit):
            run.progressTotal = total
            if let unit { run.unit = unit }
            progressPending = true
        case .incrementProgress(let by):
            let (sum, overflow) = run.progressCurrent.addingReportingOverflow(by)
            if overflow { return .refused(.overflow("progress")) }
            run.progressCurrent = sum
            progressPending = true
        case .setProgress(let current):
            run.progressCurrent = current
            progressPending = true
        case .log(let level, let message, let context):
            let id = try log(level, message, context ?? "{}", at: jobTime ?? now, settings, &effects)
            return .logID(id ?? 0)
        case .addOutcome(let key, let count):
            if !run.outcome.add(key, count) { return .refused(.overflow("outcome \(key)")) }
            flushProgress(at: now, effects: &effects)
            emit(.outcome(run.outcome), at: now, &effects)
        case .saveOutcome:
            run.savedOutcome = run.outcome
            return .run
        case .logSummary:
            return try summary(at: now, settings, &effects)
        case .finish(let status, let message, let stack):
            return try finish(status, message, stack, at: now, settings, &effects)
        case .cancel(let reason, let by, let graceMs):
            let context = JSONObject([
                ("by", .int(orNull: by)), ("reason", .string(reason)), ("graceMs", .int(graceMs)),
            ])
            _ = try log(
                .warning, reason.isEmpty ? "Cancel requested" : "Cancel requested: \(reason)",
                JSONWriter.string(.object(context)), at: now, settings, &effects)
            if run.cancelRequestedAt == nil { run.cancelRequestedAt = now }
            run.cancelReason = reason
            flushProgress(at: now, effects: &effects)
            emit(.cancelRequested(reason: reason), at: now, &effects)
            return .run
        case .abandon(let reason):
            return try abandon(reason, at: now, settings, &effects)
        case .flag(let flag):
            try self.flag(flag, at: now, settings, &effects)
        }
        return .done
    }

    /// Tells watchers the run's progress if it changed since they were last told (at the end of
    /// each transaction, and before the run's next other event: commit order per run).
    @inlinable
    public mutating func flushProgress<E: RunEffects>(at now: Timestamp, effects: inout E) {
        guard progressPending else { return }
        progressPending = false
        emit(.progress(current: run.progressCurrent, total: run.progressTotal), at: now, &effects)
    }

    /// Counts a refused notification on the run (`rejectedCount`, `lastRejection`) when the
    /// caller may write to it; returns whether it was counted.
    @inlinable
    public mutating func countRejection(_ reason: String, caller: UInt32?, settings: RuleSettings) -> Bool {
        guard settings.permissions.mayWrite(owner: run.ownerUid, caller: caller) else { return false }
        run.rejectedCount += 1
        run.lastRejection = reason
        return true
    }

    // MARK: - The rules of each command

    @usableFromInline var notPermitted: RunAnswer {
        .refused(.notPermitted("run \(run.id) belongs to uid \(run.ownerUid ?? -1)"))
    }

    /// `logSummary`: the milestone `Summary` with what the run counted so far.
    @usableFromInline mutating func summary<E: RunEffects>(
        at now: Timestamp, _ settings: RuleSettings, _ effects: inout E
    )
        throws -> RunAnswer
    {
        if run.status == .running {
            run.savedOutcome = run.outcome
            run.lastHeartbeatAt = now
        }
        let elapsed = (run.finishedAt ?? now).milliseconds - run.startedAt.milliseconds
        let progress = JSONObject([
            ("current", .int(run.progressCurrent)), ("total", .int(orNull: run.progressTotal)),
            ("unit", .string(orNull: run.unit)),
        ])
        let context = JSONObject([
            ("outcome", run.outcome.json), ("progress", .object(progress)), ("elapsedMs", .int(max(0, elapsed))),
        ])
        _ = try log(.milestone, "Summary", JSONWriter.string(.object(context)), at: now, settings, &effects)
        return .run
    }

    @usableFromInline mutating func finish<E: RunEffects>(
        _ status: RunStatus, _ message: String?, _ stack: String?, at now: Timestamp, _ settings: RuleSettings,
        _ effects: inout E
    ) throws -> RunAnswer {
        if let message {
            let context = stack.map { JSONWriter.string(.object(JSONObject([("stack", .string($0))]))) } ?? "{}"
            _ = try log(.error, message, context, at: now, settings, &effects)
            run.errorMessage = message
            run.errorStack = stack
        }
        if status == .cancelled, let asked = run.cancelRequestedAt {
            try noteStopped(askedAt: asked, at: now, settings, &effects)
            if run.errorMessage == nil { run.errorMessage = Self.cancelled(run.cancelReason) }
        }
        try close(as: status, at: now, &effects)
        if status == .success {
            try effects.jobSucceeded(job: run.jobName, at: now)
            if let warning = try effects.slowWarning(run) {
                _ = try log(.warning, warning, "{}", at: now, settings, &effects)
                if !run.slow { emit(.slow, at: now, &effects) }
                run.slow = true
            }
        }
        return closed(at: now, &effects)
    }

    /// The owner went away: ABANDONED with an entry saying where it was, or CANCELLED when a
    /// cancel request was pending (it stopped, or was signalled).
    @usableFromInline mutating func abandon<E: RunEffects>(
        _ reason: String, at now: Timestamp, _ settings: RuleSettings, _ effects: inout E
    ) throws -> RunAnswer {
        if let asked = run.cancelRequestedAt {
            let why = run.cancelReason ?? ""
            let message = (why.isEmpty ? "Run cancelled" : "Run cancelled: \(why)") + " (\(reason))"
            let context = JSONObject([("reason", .string(why)), ("owner", .string(reason))])
            _ = try log(.warning, message, JSONWriter.string(.object(context)), at: now, settings, &effects)
            try noteStopped(askedAt: asked, at: now, settings, &effects)
            run.errorMessage = message
            try close(as: .cancelled, at: now, &effects)
            return closed(at: now, &effects)
        }
        let heard = run.lastHeartbeatAt
        let progress = "\(run.progressCurrent)" + (run.progressTotal.map { "/\($0)" } ?? "")
        let message =
            "Run abandoned: \(reason); last stage \(run.currentStage.map { "'\($0)'" } ?? "none"), "
            + "progress \(progress), last heard from at \(heard.iso8601)"
        let context = JSONObject([
            ("reason", .string(reason)), ("stage", .string(orNull: run.currentStage)),
            ("progressCurrent", .int(run.progressCurrent)), ("progressTotal", .int(orNull: run.progressTotal)),
            ("lastHeartbeatAt", .string(heard.iso8601)),
        ])
        _ = try log(.error, message, JSONWriter.string(.object(context)), at: now, settings, &effects)
        run.errorMessage = message
        try close(as: .abandoned, at: now, &effects)
        return closed(at: now, &effects)
    }

    /// Sets a flag the liveness reaper decided on; a flag already set is left alone.
    @usableFromInline mutating func flag<E: RunEffects>(
        _ flag: RunFlag, at now: Timestamp, _ settings: RuleSettings, _ effects: inout E
    ) throws {
        switch flag {
        case .stalled(let since, let message):
            // Moved since the reaper looked: not stalled.
            guard run.stalledSince == nil, run.lastHeartbeatAt <= since else { return }
            run.stalledSince = since
            _ = try log(.warning, message, "{}", at: now, settings, &effects)
            emit(.stalled(since: since), at: now, &effects)
        case .slow(let message):
            guard !run.slow else { return }
            run.slow = true
            _ = try log(.warning, message, "{}", at: now, settings, &effects)
            emit(.slow, at: now, &effects)
        }
    }

    /// A stalled run moved: the flag goes, with an info entry and an `unstalled` event.
    @usableFromInline mutating func unstall<E: RunEffects>(
        at now: Timestamp, _ settings: RuleSettings, _ effects: inout E
    )
        throws
    {
        guard let since = run.stalledSince else { return }
        run.stalledSince = nil
        let message = "Progress resumed after \(DurationText.format(ms: now.milliseconds - since.milliseconds))"
        _ = try log(.info, message, "{}", at: now, settings, &effects)
        emit(.unstalled, at: now, &effects)
    }

    /// Ends the run as `status`: its end time, the counters saved, its open stage closed, its stall cleared.
    @usableFromInline mutating func close<E: RunEffects>(as status: RunStatus, at now: Timestamp, _ effects: inout E)
        throws
    {
        run.status = status
        run.finishedAt = now
        run.savedOutcome = run.outcome
        run.stalledSince = nil
        try effects.endStage(run: run.id, at: now, progress: run.progressCurrent)
    }

    /// The events of a run just closed (its last progress, then `finished`) and the answer.
    @usableFromInline mutating func closed<E: RunEffects>(at now: Timestamp, _ effects: inout E) -> RunAnswer {
        flushProgress(at: now, effects: &effects)
        emit(.finished(run.status), at: now, &effects)
        return .run
    }

    /// The entry that says how long a run took to stop after a cancel request (`context.stopMs`).
    @usableFromInline mutating func noteStopped<E: RunEffects>(
        askedAt: Timestamp, at now: Timestamp, _ settings: RuleSettings, _ effects: inout E
    ) throws {
        let stopMs = max(0, now.milliseconds - askedAt.milliseconds)
        let context = JSONObject([("stopMs", .int(stopMs)), ("reason", .string(orNull: run.cancelReason))])
        _ = try log(
            .info, "Stopped \(stopMs) ms after the cancel request", JSONWriter.string(.object(context)), at: now,
            settings, &effects)
    }

    /// `Cancelled: <reason>`, or `Cancelled` without one (a CANCELLED run's error message).
    @inlinable
    public static func cancelled(_ reason: String?) -> String {
        guard let reason, !reason.isEmpty else { return "Cancelled" }
        return "Cancelled: \(reason)"
    }

    // MARK: - Log entries and the budget

    /// Writes an entry unless the log budget drops it; returns its id, nil when dropped.
    @usableFromInline mutating func log<E: RunEffects>(
        _ level: LogLevel, _ message: String, _ context: String, at: Timestamp, _ settings: RuleSettings,
        _ effects: inout E
    ) throws -> Int64? {
        if let budget = settings.maxLogsPerRun, try !makeRoom(for: level, budget: budget, &effects) {
            run.droppedLogCounts[level] += 1
            return nil
        }
        let id = try effects.appendLog(
            run: run.id, stage: run.currentStage, level: level, message: message, context: context, at: at)
        run.logCounts[level] += 1
        if let watched = settings.watchedLevel, level >= watched {
            flushProgress(at: at, effects: &effects)
            let record = LogRecord(
                id: id, level: level, stage: run.currentStage, message: message,
                context: RawJSON(trustedObjectText: context), createdAt: at)
            emit(.log(record), at: at, &effects)
        }
        return id
    }

    /// Keeps the run within its log budget: past it, the oldest debug entry goes first, then the
    /// oldest info entry; milestones, warnings and errors are never dropped. False when the new
    /// entry itself is the one to drop.
    @usableFromInline mutating func makeRoom<E: RunEffects>(for level: LogLevel, budget: Int64, _ effects: inout E)
        throws
        -> Bool
    {
        guard run.logCounts.total >= budget else { return true }
        let victim: LogLevel? = run.logCounts.debug > 0 ? .debug : (run.logCounts.info > 0 ? .info : nil)
        guard let victim else { return level > .info }
        if level < victim { return false }
        try effects.dropOldestLog(run: run.id, level: victim)
        run.logCounts[victim] -= 1
        run.droppedLogCounts[victim] += 1
        return true
    }

    @usableFromInline func emit<E: RunEffects>(_ kind: consuming CommittedEvent.Kind, at: Timestamp, _ effects: inout E)
    {
        effects.emit(CommittedEvent(runID: run.id, jobName: run.jobName, at: at, kind: kind))
    }
}
