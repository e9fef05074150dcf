import JobLogJSON

/// One run, as stored: what `getRun`, `getProgress` and `getOutcome` describe.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64
    public var jobName: String
    public var status: RunStatus
    public var trigger: String
    public var scope: String
    public var algorithmVersion: String?
    public var currentStage: String?
    public var progressCurrent: Int64
    public var progressTotal: Int64?
    public var unit: String?
    public var startedAt: Timestamp
    public var finishedAt: Timestamp?
    public var lastHeartbeatAt: Timestamp
    public var errorMessage: String?
    public var errorStack: String?
    /// Entries per level.
    public var logCounts: LogLevelCounts
    /// Entries dropped by the per-run log budget, per level (debug and info only).
    public var droppedLogCounts: LogLevelCounts
    public var params: RawJSON
    /// The live counters.
    public var outcome: OutcomeCounters
    /// The last saved snapshot (`metadata.outcome`).
    public var savedOutcome: OutcomeCounters
    /// The owning process and user, as the kernel reported them.
    public var ownerPid: Int64?
    public var ownerUid: Int64?
    /// Notifications to this run that the daemon refused (finished run, invalid params, unknown method).
    public var rejectedCount: Int64
    /// The last refused notification: `<method>: <reason>`.
    public var lastRejection: String?
    /// When someone asked the run to stop (`cancelRun`); nil when never asked.
    public var cancelRequestedAt: Timestamp?
    /// The reason given with that request.
    public var cancelReason: String?
    /// Progress rate over the recent past, units per second.
    public var ratePerSecond: Double?
    /// Seconds left at that rate.
    public var etaSeconds: Double?
    /// Since when a RUNNING run has not moved, while it is flagged stalled; nil otherwise.
    public var stalledSince: Timestamp? = nil
    /// Flagged slow: more than 2× the median duration of its job's last 20 SUCCESS runs.
    public var slow: Bool = false
    /// The run's own stall threshold (`stallAfterMs` on `startRun`); nil = the daemon's `--stall-min-ms`.
    public var stallAfterMs: Int64? = nil
    /// The daemon that started the run (`--node-name`); nil for runs stored before nodes were recorded.
    public var node: String? = nil

    public init(
        id: Int64, jobName: String, status: RunStatus, trigger: String = "MANUAL", scope: String = "system",
        algorithmVersion: String? = nil, currentStage: String? = nil, progressCurrent: Int64 = 0,
        progressTotal: Int64? = nil, unit: String? = nil, startedAt: Timestamp, finishedAt: Timestamp? = nil,
        lastHeartbeatAt: Timestamp, errorMessage: String? = nil, errorStack: String? = nil,
        logCounts: LogLevelCounts = LogLevelCounts(), droppedLogCounts: LogLevelCounts = LogLevelCounts(),
        params: RawJSON = .emptyObject, outcome: OutcomeCounters = OutcomeCounters(),
        savedOutcome: OutcomeCounters = OutcomeCounters(), ownerPid: Int64? = nil, ownerUid: Int64? = nil,
        ratePerSecond: Double? = nil, etaSeconds: Double? = nil, rejectedCount: Int64 = 0,
        lastRejection: String? = nil, cancelRequestedAt: Timestamp? = nil, cancelReason: String? = nil
    ) {
        self.cancelRequestedAt = cancelRequestedAt
        self.cancelReason = cancelReason
        self.rejectedCount = rejectedCount
        self.lastRejection = lastRejection
        self.id = id
        self.jobName = jobName
        self.status = status
        self.trigger = trigger
        self.scope = scope
        self.algorithmVersion = algorithmVersion
        self.currentStage = currentStage
        self.progressCurrent = progressCurrent
        self.progressTotal = progressTotal
        self.unit = unit
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.errorMessage = errorMessage
        self.errorStack = errorStack
        self.logCounts = logCounts
        self.droppedLogCounts = droppedLogCounts
        self.params = params
        self.outcome = outcome
        self.savedOutcome = savedOutcome
        self.ownerPid = ownerPid
        self.ownerUid = ownerUid
        self.ratePerSecond = ratePerSecond
        self.etaSeconds = etaSeconds
    }

    /// Rounded down, at most 100; nil without a total; 100 for a total of 0.
    public var progressPercent: Int64? {
        guard let total = progressTotal else { return nil }
        guard total > 0, progressCurrent < total else { return 100 }
        guard progressCurrent > 0 else { return 0 }
        let wide = progressCurrent.multipliedFullWidth(by: 100)
        let (q, _) = total.dividingFullWidth(wide)
        return min(100, max(0, q))
    }

    /// `<stage> (<current> / <total>)`, or `<stage> (<current>)` without a total.
    public var progressMessage: String {
        let stage = currentStage ?? "Processing"
        if let total = progressTotal { return "\(stage) (\(progressCurrent) / \(total))" }
        return "\(stage) (\(progressCurrent))"
    }

    /// Milliseconds from start to finish; nil while running.
    public var durationMs: Int64? { finishedAt.map { max(0, $0.milliseconds - startedAt.milliseconds) } }
}
