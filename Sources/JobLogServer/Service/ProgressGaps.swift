import JobLogModel
import JobLogStore
import Synchronization

/// The gaps between the progress updates of RUNNING runs (from committed events): what "usually
/// every 3 s" of the stalled flag is measured from. The last 64 gaps per run, at most 10,000 runs.
final class ProgressGaps: Sendable {
    private struct Entry {
        var lastAt: Int64
        var gaps: [Int64] = []
        var next = 0

        /// A progress update at `at`: the gap since the last one, the oldest of 64 replaced.
        mutating func record(_ at: Int64) {
            let gap = max(0, at - lastAt)
            if gaps.count < ProgressGaps.keptGaps {
                gaps.append(gap)
            } else {
                gaps[next] = gap
                next = (next + 1) % ProgressGaps.keptGaps
            }
            lastAt = at
        }
    }

    private static let keptGaps = 64
    private static let maxRuns = 10_000
    private let entries = Mutex<[Int64: Entry]>([:])

    init() {}

    /// Called after each commit (writer thread).
    func record(_ events: [CommittedEvent]) {
        entries.withLock { all in
            for event in events {
                switch event.kind {
                case .progress, .stage:
                    let at = event.at.milliseconds
                    guard all[event.runID] != nil else {
                        all[event.runID] = Entry(lastAt: at)
                        continue
                    }
                    // In place: a copy of the entry would copy its gaps on every update.
                    all[event.runID]!.record(at)
                case .started:
                    all[event.runID] = Entry(lastAt: event.at.milliseconds)
                case .finished:
                    all[event.runID] = nil
                default:
                    break
                }
            }
            if all.count > Self.maxRuns { all.removeAll() }
        }
    }

    /// The median gap between the run's progress updates so far; nil before two updates.
    func medianGap(_ run: Int64) -> Int64? {
        entries.withLock { all in
            guard let gaps = all[run]?.gaps, !gaps.isEmpty else { return nil }
            return Percentiles.median(gaps)
        }
    }
}
