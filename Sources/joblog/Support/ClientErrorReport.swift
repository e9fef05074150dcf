import ArgumentParser
import JobLogClient
import JobLogJSON
import JobLogProtocol

/// How `joblog` reports a failed call: one line saying what happened and what to do, and an exit code.
struct ClientErrorReport {
    let error: JobLogClientError
    /// The method that failed.
    let method: Method
    let socketPath: String

    /// The exit code for the error (see `ExitStatus`).
    var exitCode: ExitCode {
        switch error {
        case .daemonUnreachable, .timedOut, .closed: ExitStatus.unavailable
        case .rpc(let e) where e.code == RPCErrorCode.unknownRun: ExitStatus.unknownRun
        case .rpc, .badResponse: ExitStatus.rpcError
        }
    }

    /// The message, without the `joblog: ` prefix.
    var message: String {
        switch error {
        case .daemonUnreachable(_, let reason):
            return Self.unreachable(socketPath, reason)
        case .timedOut:
            return "joblogd at \(socketPath) did not answer \(method.rawValue) in time"
        case .closed:
            return "the connection to joblogd at \(socketPath) was closed before \(method.rawValue) was answered"
        case .badResponse(let why):
            return "unexpected answer from joblogd to \(method.rawValue): \(why)"
        case .rpc(let e):
            return rpcMessage(e)
        }
    }

    /// The one wording of "no daemon", shared with the other clients:
    /// `daemon unreachable at <socket> (<reason>); start it with: joblogd --socket <socket>`.
    static func unreachable(_ socket: String, _ reason: String) -> String {
        "daemon unreachable at \(socket) (\(reason)); start it with: joblogd --socket \(socket)"
    }

    private func rpcMessage(_ e: RPCError) -> String {
        let data = e.data?.objectValue
        let run = data?["jobRunId"]?.stringValue ?? "?"
        let reason = data?["reason"]?.stringValue
        switch e.code {
        case RPCErrorCode.unknownRun:
            return "unknown run \(run) (`joblog list` shows the runs)"
        case RPCErrorCode.runFinished:
            let status = data?["status"]?.stringValue ?? "finished"
            return "run \(run) is already finished (\(status)): \(method.rawValue) was not applied"
        case RPCErrorCode.invalidParams:
            let field = data?["field"]?.stringValue ?? "?"
            return "\(method.rawValue): invalid \(field): \(reason ?? "invalid")"
        case RPCErrorCode.notPermitted:
            return "\(method.rawValue) is not permitted: \(reason ?? "this run belongs to another user")"
        case RPCErrorCode.storeUnavailable:
            return "joblogd cannot store \(method.rawValue) now: \(reason ?? "store unavailable")"
        case RPCErrorCode.shuttingDown:
            return "joblogd is shutting down: \(method.rawValue) was not applied"
        default:
            return "\(method.rawValue) failed: \(e.description)"
        }
    }
}
