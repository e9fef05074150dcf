import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore

/// How a request is answered: what every handler returns, what ``Router`` and
/// ``RequestPipeline`` pass on, and what a transport executes. The one description of an answer.
enum Plan: Sendable {
    /// How a write's outcome becomes the request's result.
    typealias Respond = @Sendable (WriteOutcome) -> Result<JSONValue, RPCError>
    /// A read's work (on GRDB's reader pool, never on an event loop).
    typealias Read = @Sendable () async -> Result<JSONValue, RPCError>

    /// A write for the writer thread, queued in order with the connection's other writes and
    /// answered after its commit by `respond`. `at` is the job's time of the call (the `at` param,
    /// ms since the epoch), when it sent one. ``RequestPipeline`` turns it into the queued
    /// `WriteOp` (when it was read, the caller, `at` within ``CallTime/window``, the connection's
    /// tracker and session); the plan keeps only how the answer is made, so it stays small.
    case write(WriteCommand, at: Int64? = nil, respond: Respond)
    /// A read, run after everything before it on the connection is committed.
    case read(Read)
    /// Needs no I/O; still answered only after everything before it is committed.
    /// `afterDelivery` runs once the answer is delivered (on the socket: written); when what came
    /// before could not be committed, the answer is that failure, `afterDelivery` is dropped and
    /// `onBarrierFailure` runs.
    case immediate(
        Result<JSONValue, RPCError>, afterDelivery: (@Sendable () -> Void)?, onBarrierFailure: (@Sendable () -> Void)?)
    /// Refused before any handler ran (not a valid request, no such method, bad params): answered
    /// with this error at once, in order, without waiting for earlier writes. A notification
    /// refused so becomes a `.reject` write (counted on its run, reported to `ping`).
    case refused(RPCError)
    /// Nothing to answer: a notification, its write (if any) already queued.
    case none

    /// An answer that needs no I/O and no after-action.
    static func immediate(_ result: Result<JSONValue, RPCError>) -> Plan {
        .immediate(result, afterDelivery: nil, onBarrierFailure: nil)
    }

    /// A write answered `{}` (or the error).
    static func write(_ command: WriteCommand, at: Int64? = nil) -> Plan {
        .write(command, at: at) { outcome in
            if case .failed(let e) = outcome { return .failure(RPCError(e)) }
            return .success(EmptyResult().json)
        }
    }

    /// A write answered with `{outcome}` built from the run it returns.
    static func writeReturningOutcome(_ command: WriteCommand) -> Plan {
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
        -> Plan
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
