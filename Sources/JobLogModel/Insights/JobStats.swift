/// `getJobStats`: the last N finished runs of one job, summarised.
public struct JobStats: Sendable, Equatable {
    /// p50/p95/max of a set of durations (nil when there are none).
    public struct Spread: Sendable, Equatable {
        public var p50: Int64?
        public var p95: Int64?
        public var max: Int64?

        public init(_ values: [Int64]) {
            let sorted = values.sorted()
            p50 = Percentiles.sortedValue(sorted, 0.5)
            p95 = Percentiles.sortedValue(sorted, 0.95)
            max = sorted.last
        }
    }

    /// One outcome counter over the runs that reported it.
    public struct Counter: Sendable, Equatable {
        public var key: String
        /// Its value in the most recent run of the window (nil when that run did not report it).
        public var last: Int64?
        public var median: Int64
        public var min: Int64
        public var max: Int64

        public init(key: String, last: Int64?, median: Int64, min: Int64, max: Int64) {
            self.key = key
            self.last = last
            self.median = median
            self.min = min
            self.max = max
        }
    }

    /// One run of the window, newest first.
    public struct Recent: Sendable, Equatable {
        public var id: Int64
        public var status: RunStatus
        public var startedAt: Timestamp
        public var durationMs: Int64?
        public var outcome: OutcomeCounters

        public init(id: Int64, status: RunStatus, startedAt: Timestamp, durationMs: Int64?, outcome: OutcomeCounters) {
            self.id = id
            self.status = status
            self.startedAt = startedAt
            self.durationMs = durationMs
            self.outcome = outcome
        }
    }

    public var jobName: String
    /// Finished runs in the window.
    public var runs: Int64
    /// Runs of the window per status, in `RunStatus` order.
    public var byStatus: [(status: RunStatus, count: Int64)]
    /// SUCCESS runs / runs; nil without runs.
    public var successRate: Double?
    public var durationMs: Spread
    /// Per stage name (the total time a run spent in it), in order of first appearance.
    public var stageDurationsMs: [(stage: String, p50: Int64, p95: Int64)]
    /// Per counter key, sorted by key.
    public var outcome: [Counter]
    /// At most 20 runs, newest first.
    public var recent: [Recent]

    public init(
        jobName: String, runs: Int64, byStatus: [(status: RunStatus, count: Int64)], successRate: Double?,
        durationMs: Spread, stageDurationsMs: [(stage: String, p50: Int64, p95: Int64)], outcome: [Counter],
        recent: [Recent]
    ) {
        self.jobName = jobName
        self.runs = runs
        self.byStatus = byStatus
        self.successRate = successRate
        self.durationMs = durationMs
        self.stageDurationsMs = stageDurationsMs
        self.outcome = outcome
        self.recent = recent
    }

    public static func == (a: JobStats, b: JobStats) -> Bool {
        a.jobName == b.jobName && a.runs == b.runs && a.byStatus.map(\.status) == b.byStatus.map(\.status)
            && a.byStatus.map(\.count) == b.byStatus.map(\.count) && a.successRate == b.successRate
            && a.durationMs == b.durationMs && a.stageDurationsMs.map(\.stage) == b.stageDurationsMs.map(\.stage)
            && a.stageDurationsMs.map(\.p50) == b.stageDurationsMs.map(\.p50)
            && a.stageDurationsMs.map(\.p95) == b.stageDurationsMs.map(\.p95) && a.outcome == b.outcome
            && a.recent == b.recent
    }
}
