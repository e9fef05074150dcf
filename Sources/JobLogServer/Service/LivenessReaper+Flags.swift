import JobLogModel
import JobLogStore

/// The stalled and slow flags, decided in the reaper's pass (no timer per run).
extension LivenessReaper {
    /// Flags the RUNNING runs that stalled (alive, but silent for longer than
    /// `max(stallMinMs or the run's stallAfterMs, 10 × its median progress gap)`) or that already
    /// took more than 2× the usual duration of their job. A run that moves again is unflagged by the
    /// writer itself, with its next write.
    func flag(_ owners: [RunOwner], except doomed: Set<Int64>, now: Timestamp) async {
        var ops: [WriteOp] = []
        var usual: [String: Int64?] = [:]
        for owner in owners where !doomed.contains(owner.runID) {
            if owner.stalledSince == nil, let message = stallMessage(owner, now: now) {
                ops.append(Self.flagOp(owner.runID, .stalled(since: owner.lastHeartbeatAt, message: message)))
            }
            guard !owner.slow else { continue }
            if usual[owner.jobName] == nil {
                if let kept = usualDurations.kept(job: owner.jobName) {
                    usual[owner.jobName] = kept
                } else {
                    do {
                        let median = try await store.usualDuration(job: owner.jobName, before: owner.runID)
                        usual[owner.jobName] = .some(median)
                        usualDurations.keep(job: owner.jobName, median: median)
                    } catch {
                        // No verdict this pass, and nothing kept: the next pass reads again.
                        usual[owner.jobName] = .some(nil)
                    }
                }
            }
            let elapsed = now.milliseconds &- owner.startedAt.milliseconds
            if let median = usual[owner.jobName] ?? nil, SlowCheck.isSlow(durationMs: elapsed, median: median) {
                let message = SlowWarning.running(elapsedMs: elapsed, median: median, currentStage: owner.currentStage)
                ops.append(Self.flagOp(owner.runID, .slow(message: message)))
            }
        }
        usualDurations.retain(Set(owners.map(\.jobName)))
        if !ops.isEmpty { await store.submit(ops) }
    }

    /// A flag is a request of the reaper, not a notification: one that finds the run finished
    /// (it raced with the job) is not counted as a refused notification on the run.
    static func flagOp(_ run: Int64, _ flag: RunFlag) -> WriteOp {
        WriteOp(.flag(run: run, flag)) { _ in }
    }

    /// The warning for a run that stalled, or nil while it has not.
    func stallMessage(_ owner: RunOwner, now: Timestamp) -> String? {
        let silent = now.milliseconds &- owner.lastHeartbeatAt.milliseconds
        let gap = gaps.medianGap(owner.runID)
        let threshold = max(
            owner.stallAfterMs ?? stallMinMs, (gap ?? 0).multipliedReportingOverflow(by: 10).partialValue)
        guard silent > threshold else { return nil }
        var message = "No progress for \(DurationText.format(ms: silent))"
        if let gap { message += " (usually every \(DurationText.format(ms: gap)))" }
        return message
    }
}

/// The message of the early slow flag (shared wording with the store's check at finish).
enum SlowWarning {
    static func running(elapsedMs: Int64, median: Int64, currentStage: String?) -> String {
        var message =
            "Running for \(DurationText.format(ms: elapsedMs)), already "
            + "\(DurationText.ratio(Double(elapsedMs) / Double(max(1, median)))) the usual "
            + DurationText.format(ms: median)
        if let currentStage { message += "; current stage: \(currentStage)" }
        return message
    }
}
