import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore

/// What a handler turns a request into: a write for the writer thread, or a read.
enum Routed: Sendable {
    /// Queued in order with the connection's other writes; answered after commit. `at` is the
    /// job's time of the call (the `at` param, ms since the epoch), when it sent one.
    case write(
        WriteCommand, at: Int64? = nil, respond: @Sendable (WriteOutcome) -> Result<JSONValue, RPCError>)
    /// Run after everything before it on the connection is committed.
    case read(@Sendable () async -> Result<JSONValue, RPCError>)
    /// Needs no I/O; still answered only after everything before it is committed.
    /// `afterWrite` runs once the answer is on the socket; when what came before could not
    /// be committed, the answer is that failure, `afterWrite` is dropped and `onBarrierFailure` runs.
    case immediate(
        Result<JSONValue, RPCError>, afterWrite: (@Sendable () -> Void)?,
        onBarrierFailure: (@Sendable () -> Void)? = nil)

    /// A write answered `{}` (or the error).
    static func write(_ command: WriteCommand, at: Int64? = nil) -> Routed {
        .write(command, at: at) { outcome in
            if case .failed(let e) = outcome { return .failure(RPCError(e)) }
            return .success(EmptyResult().json)
        }
    }

    /// A write answered with `{outcome}` built from the run it returns.
    static func writeReturningOutcome(_ command: WriteCommand) -> Routed {
        .write(command) { outcome in
            switch outcome {
            case .run(let run): return .success(OutcomeResult(run: run).json)
            case .failed(let e): return .failure(RPCError(e))
            default: return .failure(.internalError)
            }
        }
    }

    /// A read of one run, mapped to a result.
    static func readRun(_ id: Int64, _ context: RequestContext, _ map: @escaping @Sendable (RunRecord) -> JSONValue)
        -> Routed
    {
        .read {
            do {
                guard let run = try await context.store.run(id) else { return .failure(.unknownRun(id)) }
                return .success(map(context.decorate(run)))
            } catch {
                return .failure(RPCError(error, logger: context.logger))
            }
        }
    }
}
