import JobLogJSON
import JobLogProtocol
import JobLogStore

extension Plan {
    /// Executes the plan on its own, not ordered with any other (a transport that answers each
    /// call separately, like ``LocalSession``): `writes` (what ``RequestPipeline`` queued for it;
    /// a write's own is the last) are submitted, a write's answer awaited, a read run now.
    /// Returns the result and what to run once it is delivered; nil for ``none``.
    func answer(queuing writes: [WriteOp], to store: JobLogStore) async -> (
        result: Result<JSONValue, RPCError>, afterDelivery: (@Sendable () -> Void)?
    )? {
        guard case .write(_, _, let respond) = self, var op = writes.last else {
            if !writes.isEmpty { await store.submit(writes) }
            return await answerWithoutWrite()
        }
        let outcome = await withCheckedContinuation { (c: CheckedContinuation<WriteOutcome, Never>) in
            op.completion = { c.resume(returning: $0) }
            let all = writes.dropLast() + [op]
            Task { await store.submit(Array(all)) }
        }
        return (respond(outcome), nil)
    }

    private func answerWithoutWrite() async -> (
        result: Result<JSONValue, RPCError>, afterDelivery: (@Sendable () -> Void)?
    )? {
        switch self {
        case .none, .write:
            return nil
        case .refused(let error):
            return (.failure(error), nil)
        case .immediate(let result, let after, _):
            return (result, after)
        case .read(let read):
            return (await read(), nil)
        }
    }
}
