import JobLogModel
import JobLogStore
import Logging

/// Retention: deletes old finished runs in small steps that share the writer with
/// ingest (no step holds it for more than a few milliseconds), then returns the space.
public struct Pruner: Sendable {
    let store: JobLogStore
    let logger: Logger
    /// Rows deleted per step (one transaction).
    static let rowsPerStep = 1000

    public init(store: JobLogStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Deletes runs finished more than `olderThanDays` ago; returns what was deleted.
    public func prune(olderThanDays: Int64, status: RunStatus?) async -> Result<(runs: Int64, logs: Int64), StoreError>
    {
        // Saturating: a retention longer than the clock's range keeps everything (no trap).
        let (span, overflow) = max(0, olderThanDays).multipliedReportingOverflow(by: 86_400_000)
        let cutoff = Timestamp(milliseconds: overflow ? Int64.min : Timestamp.now().milliseconds &- span)
        var runs: Int64 = 0
        var logs: Int64 = 0
        while true {
            switch await store.write(.prune(cutoff: cutoff, status: status, maxRows: Self.rowsPerStep)) {
            case .pruned(let r, let l, let complete):
                runs += r
                logs += l
                if complete {
                    await vacuum()
                    if runs > 0 { logger.info("pruned", metadata: ["runs": "\(runs)", "logs": "\(logs)"]) }
                    return .success((runs, logs))
                }
            case .failed(let e): return .failure(e)
            default: return .failure(.unavailable("unexpected prune outcome"))
            }
            await Task.yield()
        }
    }

    /// Deletes what is left of runs whose prune was interrupted (their rows are gone, some logs not):
    /// a prune step with a cutoff no run can be older than.
    public func finishInterrupted() async {
        var logs: Int64 = 0
        while true {
            guard
                case .pruned(_, let l, let complete) = await store.write(
                    .prune(cutoff: Timestamp(milliseconds: Int64.min), status: nil, maxRows: Self.rowsPerStep))
            else { return }
            logs += l
            if complete { break }
            await Task.yield()
        }
        if logs > 0 {
            logger.notice("finished an interrupted prune", metadata: ["logs": "\(logs)"])
            await vacuum()
        }
    }

    private func vacuum() async {
        for _ in 0..<100_000 {
            guard case .vacuumed(let left) = await store.write(.vacuum(pages: 2000)), left > 0 else { return }
        }
    }
}
