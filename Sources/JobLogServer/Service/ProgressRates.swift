import JobLogModel
import JobLogStore
import Synchronization

/// Recent progress of running runs, from committed progress events: the rate
/// (units per second over the last ~30 s) behind `ratePerSecond` and `etaSeconds`.
final class ProgressRates: Sendable {
    private struct Sample {
        var at: Int64
        var current: Int64
    }

    private static let window: Int64 = 30_000
    private static let maxRuns = 10_000
    private let samples = Mutex<[Int64: [Sample]]>([:])

    init() {}

    /// Called after each commit (writer thread).
    func record(_ events: [CommittedEvent]) {
        samples.withLock { all in
            for event in events {
                let run = event.runID
                let at = event.at
                switch event.kind {
                case .progress(let current, _):
                    var list = all[run] ?? []
                    // At most one sample per 250 ms, the last value always kept.
                    if let last = list.last, at.milliseconds - last.at < 250, list.count > 1 {
                        list[list.count - 1] = Sample(at: at.milliseconds, current: current)
                    } else {
                        list.append(Sample(at: at.milliseconds, current: current))
                    }
                    while let first = list.first, at.milliseconds - first.at > Self.window, list.count > 2 {
                        list.removeFirst()
                    }
                    all[run] = list
                case .finished:
                    all[run] = nil
                default:
                    break
                }
            }
            if all.count > Self.maxRuns { all.removeAll() }
        }
    }

    /// Units per second over the window, or nil with too little data.
    func rate(for run: Int64) -> Double? {
        samples.withLock { all in
            guard let list = all[run], let first = list.first, let last = list.last, last.at - first.at >= 200 else {
                return nil
            }
            return Double(last.current - first.current) * 1000 / Double(last.at - first.at)
        }
    }
}
