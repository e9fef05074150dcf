import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore
import NIOCore

/// Ordering a connection's answers: every plan gets its place in ``OrderedResponses`` when its
/// message is read; what it waits for (a commit, a barrier, a read) fills the place later, on the
/// loop. A read or an answer waits for the connection's earlier writes (a barrier) unless nothing
/// is in flight. Bounded answers: the bytes of answers a connection holds (owed, plus written but
/// unread) are bounded by `maxPendingBytes`; a read whose answer would pass it is answered
/// `answer too large` instead (a read started while the connection is over it is not run at all),
/// and reading from the connection pauses until it is down to half.
extension ConnectionChannelHandler {
    /// Plans one message and gives its answer a place (its own, or in the open `batch`).
    func take(_ message: IncomingMessage, inBatch batch: Int?, _ now: Timestamp, _ ops: inout [WriteOp]) {
        guard let (id, plan) = pipeline?.plan(message, now: now, ops: &ops) else { return }
        if case .none = plan { return }
        let place = batch.map { responses.addPart(to: $0) } ?? .single(responses.appendWaiting())
        switch plan {
        case .none:
            break
        case .refused(let error):
            responses.fulfill(place, RPCResponse.failure(error, id: id))
        case .immediate(let result, let after, let onFailure):
            let line = Self.line(result, id: id)
            guard needsBarrier(ops) else { return responses.fulfill(place, line, after: after) }
            // The answer says everything before it is stored: when that failed, it is the failure.
            let deliver = filler(place, id: id, refusable: false, after: after)
            barrier(now, &ops) { outcome in
                if case .failed(let error) = outcome {
                    onFailure?()
                    deliver(Self.line(.failure(RPCError(error)), id: id), false)
                } else {
                    deliver(line, true)
                }
            }
        case .write(_, _, let respond):
            // The pipeline queued the request's write last.
            guard let last = ops.indices.last else {
                return responses.fulfill(place, Self.line(.failure(.internalError), id: id))
            }
            let deliver = filler(place, id: id, refusable: false, after: nil)
            let sink = services.stats.current
            let start = ContinuousClock.now
            ops[last].completion = { outcome in
                if let sink {
                    sink.committed(after: ContinuousClock.now - start)
                    if case .failed(.unavailable) = outcome { sink.storeError() }
                }
                deliver(Self.line(respond(outcome), id: id), true)
            }
        case .read(let read):
            schedule(read, at: place, id: id, now, &ops)
        }
    }

    /// Queues a read: at once when nothing of the connection is in flight, else after a barrier.
    private func schedule(
        _ read: @escaping Plan.Read, at place: OrderedResponses.Place, id: RequestID, _ now: Timestamp,
        _ ops: inout [WriteOp]
    ) {
        guard let reads else { return }
        let deliver = filler(place, id: id, refusable: true, after: nil)
        let budget = self.budget
        let job: ReadScheduler.Job = {
            // Not run at all while the connection is over its bound: the answer could only be refused.
            if budget.isFull {
                deliver(Self.line(.failure(.answerTooLarge(maxPendingBytes: budget.limit)), id: id), true)
            } else {
                deliver(Self.line(await read(), id: id), true)
            }
        }
        guard needsBarrier(ops) else { return reads.enqueue(job) }
        let scheduler = LoopHop(reads, on: reads.eventLoop)
        barrier(now, &ops) { outcome in
            if case .failed(let error) = outcome {
                deliver(Self.line(.failure(RPCError(error)), id: id), true)
            } else {
                scheduler.run { $0.enqueue(job) }
            }
        }
    }

    /// Whether an answer must wait for a barrier: writes of this connection are queued before it
    /// in this burst, in flight, or one was lost and not yet reported.
    private func needsBarrier(_ ops: [WriteOp]) -> Bool {
        !ops.isEmpty || !(pipeline?.isClean ?? true)
    }

    private func barrier(
        _ now: Timestamp, _ ops: inout [WriteOp], _ completion: @escaping @Sendable (WriteOutcome) -> Void
    ) {
        if let op = pipeline?.barrier(now: now, completion) { ops.append(op) }
    }

    /// What fills `place` from any thread: `(line, keepAction)`; `keepAction` is false when the
    /// answer became a failure (its after-action is dropped).
    private func filler(
        _ place: OrderedResponses.Place, id: RequestID, refusable: Bool, after: (@Sendable () -> Void)?
    ) -> @Sendable ([UInt8], Bool) -> Void {
        let hop = eventLoop.map { LoopHop(self, on: $0) }
        return { line, keepAction in
            hop?.hop { handler in
                let (line, kept) = handler.admit(line, id: id, refusable: refusable)
                handler.responses.fulfill(place, line, after: keepAction && kept ? after : nil)
                handler.drain(nil)
            }
        }
    }

    /// The answer to keep for a request: `bytes`, or, for a read whose answer would take the
    /// connection past its bound, `answer too large`. `kept` is false when it was replaced.
    private func admit(_ bytes: [UInt8], id: RequestID, refusable: Bool) -> (line: [UInt8], kept: Bool) {
        guard refusable, responses.heldBytes + outstanding + bytes.count > budget.limit else { return (bytes, true) }
        budget.startRefusing()
        return (Self.line(.failure(.answerTooLarge(maxPendingBytes: budget.limit)), id: id), false)
    }

    /// Publishes the bytes held and pauses reading while they are over the bound (resumes at half).
    func checkBudget(_ context: ChannelHandlerContext) {
        let held = responses.heldBytes + outstanding
        budget.bytes = held
        if held > budget.limit {
            pause(.owed, context)
        } else if held <= budget.limit / 2 {
            budget.stopRefusing()
            resume(.owed)
        }
    }

    static func line(_ result: Result<JSONValue, RPCError>, id: RequestID) -> [UInt8] {
        switch result {
        case .success(let value): RPCResponse.success(value, id: id)
        case .failure(let error): RPCResponse.failure(error, id: id)
        }
    }

    // MARK: - Output

    /// Writes every answer that is ready at the head, in one write; then applies back-pressure and half-close.
    func drain(_ given: ChannelHandlerContext?) {
        guard let context = given ?? channelContext else { return }
        let (lines, actions) = responses.takeReady()
        if !lines.isEmpty {
            var out = context.channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.count + 1 })
            for line in lines {
                out.writeBytes(line)
                out.writeInteger(UInt8(ascii: "\n"))
            }
            let written = out.readableBytes
            outstanding += written
            let promise = context.eventLoop.makePromise(of: Void.self)
            let hop = LoopHop(self, on: context.eventLoop)
            promise.futureResult.whenComplete { _ in
                hop.run { handler in
                    handler.outstanding -= written
                    if let context = handler.channelContext { handler.checkBudget(context) }
                }
            }
            context.writeAndFlush(wrapOutboundOut(out), promise: promise)
            for action in actions { action() }
        }
        checkBudget(context)
        if responses.count > Self.maxPendingResponses {
            pause(.responses, context)
        } else if responses.count < Self.maxPendingResponses / 2 {
            resume(.responses)
        }
        if inputClosed, finalBarrierDone, responses.isEmpty {
            context.close(promise: nil)
        }
    }
}
