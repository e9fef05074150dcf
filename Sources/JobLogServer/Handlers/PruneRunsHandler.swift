import JobLogProtocol

/// `pruneRuns`: only for root, the daemon's user and `--admin-group`.
///
/// A write, but not one write: the pruner queues bounded steps (`WriteCommand.prune`, one
/// transaction each, so ingest is never stalled by a large delete) until nothing older is left.
/// So the plan is an async job run after the connection's earlier writes (`.read`'s slot), not
/// a single queued write.
enum PruneRunsHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try PruneRunsParams(from: params)
        guard context.permissions.mayAdminister(context.peer) else {
            return .immediate(
                .failure(.notPermitted("pruneRuns needs root, the daemon's user or --admin-group")))
        }
        let pruner = context.pruner
        return .read {
            switch await pruner.prune(olderThanDays: p.olderThanDays, status: p.status) {
            case .success(let (runs, logs)): return .success(PruneRunsResult(deletedRuns: runs, deletedLogs: logs).json)
            case .failure(let e): return .failure(RPCError(e))
            }
        }
    }
}
