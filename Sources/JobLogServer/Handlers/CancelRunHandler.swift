import JobLogModel
import JobLogProtocol
import JobLogStore

/// `cancelRun`: for the run's own uid, root, the daemon's user and `--admin-group` (the
/// ``Permissions`` of `pruneRuns`; the store checks the owner). Once the request is stored,
/// the job's connections are told and the escalation starts (``CancelService``).
enum CancelRunHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try CancelRunParams(from: params)
        guard let peer = context.peer, let cancels = context.cancels else {
            return .immediate(.failure(.notPermitted("cancelRun needs a caller the kernel can name")))
        }
        // Administrators write as trusted; anyone else only to runs of their own uid.
        let callerUid: UInt32? = context.permissions.mayAdminister(peer) ? nil : peer.uid
        let command = WriteCommand.cancel(run: p.jobRunId, reason: p.reason, by: Int64(peer.uid), graceMs: p.graceMs)
        return .read {
            switch await context.store.write(command, callerUid: callerUid) {
            case .run(let run):
                // A run another node started (shared PostgreSQL store) is escalated by that node.
                let here = run.node == nil || run.node == context.store.configuration.nodeName
                cancels.requested(
                    CancelNotification(jobRunId: run.id, reason: p.reason, graceMs: p.graceMs), escalate: here)
                return .success(RunResult(run: context.decorate(run)).json)
            case .failed(.notPermitted):
                return .failure(
                    .notPermitted("cancelRun needs the run's own uid, root, the daemon's user or --admin-group"))
            case .failed(let e):
                return .failure(RPCError(e))
            default:
                return .failure(.internalError)
            }
        }
    }
}
