import JobLogModel
import JobLogProtocol
import JobLogStore

/// `startRun`: records the owner (the `pid` param, else the peer's pid; always the peer's uid).
///
/// A claimed `pid` must name a live process of the caller's own uid (root may name any):
/// a run owned by a process that does not exist would stay RUNNING for ever, and naming
/// someone else's process (pid 1, the daemon) would tie the run's fate to it.
enum StartRunHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p = try StartRunParams(from: params)
        let pid = p.pid ?? context.peer.map { Int64($0.pid) }
        var startTime: Int64?
        if let pid {
            startTime = ProcessTable.startTime(pid: Int32(clamping: pid))
            if let claimed = p.pid {
                try checkClaim(Int32(clamping: claimed), startTime: startTime, context.peer)
            }
        }
        var new = NewRun(
            jobName: p.jobName, trigger: p.trigger, scope: p.scope, algorithmVersion: p.algorithmVersion,
            params: p.params.text, ownerPid: pid, ownerUid: context.peer.map { Int64($0.uid) },
            ownerStartTime: startTime,
            heartbeatTimeoutMs: p.heartbeatTimeoutMs)
        new.stallAfterMs = p.stallAfterMs
        // With `acceptsCancel`, this connection is told of the run's cancel requests.
        let listen = p.acceptsCancel || context.acceptsCancel ? CancelListener(context) : nil
        return .write(.startRun(new)) { outcome in
            switch outcome {
            case .run(let run):
                listen?.listen(run.id)
                return .success(
                    StartRunResult(jobRunId: run.id, jobName: run.jobName, status: run.status, startedAt: run.startedAt)
                        .json)
            case .failed(let e): return .failure(RPCError(e))
            default: return .failure(.internalError)
            }
        }
    }

    /// Refuses a claimed owner that does not exist or belongs to another uid.
    private static func checkClaim(_ pid: Int32, startTime: Int64?, _ peer: PeerCredentials?) throws(RPCError) {
        guard startTime != nil, let owner = ProcessTable.uid(pid: pid) else {
            throw .invalidParams(field: "pid", reason: "no such process: \(pid)")
        }
        guard let peer, peer.uid != 0, peer.pid != pid else { return }
        if owner != peer.uid {
            throw .notPermitted("process \(pid) belongs to uid \(owner), not to the caller (uid \(peer.uid))")
        }
    }
}
