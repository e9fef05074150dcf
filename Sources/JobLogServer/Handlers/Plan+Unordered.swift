import JobLogJSON
import JobLogProtocol
import JobLogStore

extension Plan {
    /// Executes the plan on its own, not ordered with any other (a transport that answers each
    /// call separately, like ``LocalSession``): a write is queued and awaited, a read run now.
    /// Returns the result and what to run once it is delivered; nil for ``none``.
    func answer(submittingTo store: JobLogStore) async -> (
        result: Result<JSONValue, RPCError>, afterDelivery: (@Sendable () -> Void)?
    )? {
        switch self {
        case .none:
            return nil
        case .refused(let error):
            return (.failure(error), nil)
        case .immediate(let result, let after, _):
            return (result, after)
        case .read(let read):
            return (await read(), nil)
        case .write(let op, let respond):
            let outcome = await withCheckedContinuation { (c: CheckedContinuation<WriteOutcome, Never>) in
                var op = op
                op.completion = { c.resume(returning: $0) }
                let ready = op
                Task { await store.submit([ready]) }
            }
            return (respond(outcome), nil)
        }
    }
}
