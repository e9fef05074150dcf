import JobLogProtocol
import JobLogStore

/// `startRun`: records the owner (the `pid` param, else the peer's pid; always the peer's uid).
enum StartRunHandler {
    static func route(_ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Routed {
        let p = try StartRunParams(from: params)
        let pid = p.pid ?? context.peer.map { Int64($0.pid) }
        let new = NewRun(
            jobName: p.jobName, trigger: p.trigger, scope: p.scope, algorithmVersion: p.algorithmVersion,
            params: p.params.text, ownerPid: pid, ownerUid: context.peer.map { Int64($0.uid) },
            ownerStartTime: pid.flatMap { ProcessTable.startTime(pid: Int32($0)) },
            heartbeatTimeoutMs: p.heartbeatTimeoutMs)
        return .write(.startRun(new)) { outcome in
            switch outcome {
            case .run(let run):
                return .success(
                    StartRunResult(jobRunId: run.id, jobName: run.jobName, status: run.status, startedAt: run.startedAt)
                        .json)
            case .failed(let e): return .failure(RPCError(e))
            default: return .failure(.internalError)
            }
        }
    }
}
