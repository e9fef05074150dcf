/// `compareRuns`: a run against one other run or the usual run of its job.
public struct RunComparison: Sendable, Equatable {
    /// One compared quantity (a duration or a counter).
    public struct Row: Sendable, Equatable {
        /// The stage name or the counter key; empty for the run's duration.
        public var name: String
        public var run: Int64?
        public var baseline: Int64?

        public init(name: String, run: Int64?, baseline: Int64?) {
            self.name = name
            self.run = run
            self.baseline = baseline
        }

        /// run / baseline; nil when either is missing or the baseline is 0.
        public var ratio: Double? {
            guard let run, let baseline, baseline > 0 else { return nil }
            return Double(run) / Double(baseline)
        }

        /// run - baseline (a missing side counts as 0).
        public var delta: Int64 { (run ?? 0) &- (baseline ?? 0) }
    }

    /// `median of N runs` or `run N`.
    public var baseline: String
    public var duration: Row
    /// Ordered by the size of the change (|run - baseline|), largest first.
    public var stages: [Row]
    /// Ordered by |delta|, largest first.
    public var outcome: [Row]

    public init(baseline: String, duration: Row, stages: [Row], outcome: [Row]) {
        self.baseline = baseline
        self.duration = duration
        self.stages = stages
        self.outcome = outcome
    }
}
