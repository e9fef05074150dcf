import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore
import Logging
import NIOCore

/// Serves one connection on its event loop: decodes each burst of lines, routes
/// every message, hands writes to the store's writer thread in one batch, and
/// writes answers in request order as their commits (or reads) complete.
///
/// Threading: all state is confined to the channel's event loop. SQLite never runs
/// here: writes go to the writer thread, reads to GRDB's reader pool; their
/// completions hop back to this loop. Decoding runs here too: measured, the hops
/// to and from a task pool cost more than the decoding they would move away.
///
/// Back-pressure: reading pauses while more than `maxPendingResponses` answers are
/// owed, while the socket is not writable (a client that never reads), and while
/// the store's queue is full; so a connection holds a bounded amount of memory.
///
/// Bounded answers: the bytes of answers a connection holds (owed, plus written but unread) are
/// bounded by `maxPendingBytes`; a read whose answer would pass it is answered `answer too large`
/// instead (a read started while the connection is over it is not run at all), and reading from
/// the connection pauses until it is down to half. A connection's reads run at most
/// `maxConcurrentReads` at a time, in order, so one connection cannot take every reader.
final class ConnectionChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = [Frame]
    typealias OutboundOut = ByteBuffer

    static let maxPendingResponses = 1024
    static let maxConcurrentReads = 2

    private enum PauseReason: Hashable {
        case peer, responses, output, store, owed
    }

    private let services: ConnectionServices
    private var requestContext: RequestContext?
    /// After `hello` with `acceptsCancel`: registers this connection for the runs it writes to.
    private var cancelListener: CancelListener?
    /// The run last registered (a job writes to one run: one comparison per write).
    private var lastCancelRun: Int64 = -1
    private var channelContext: ChannelHandlerContext?
    private let tracker = CommitTracker()
    private var responses = OrderedResponses()
    private var paused: Set<PauseReason> = []
    private var inputClosed = false
    private var finalBarrierDone = false
    private let connectionID: UInt64
    private var logger: Logger
    private let budget: AnswerBudget
    /// Bytes written to the channel whose write has not completed (in its outbound buffer).
    private var outstanding = 0
    /// Reads waiting for their turn, in request order, and how many run now.
    private var readQueue: [@Sendable () async -> Void] = []
    private var readQueueHead = 0
    private var readsRunning = 0
    /// Messages counted for `/metrics` and not yet reported: a run of one method (jobs send long
    /// runs of one), reported when the method changes and after each read, not per message.
    private var countedMethod: String?
    private var countedMessages = 0
    /// The client session after `hello`, and how it numbers this connection's messages.
    private var session = ConnectionSession()

    init(services: ConnectionServices, connectionID: UInt64) {
        self.services = services
        self.connectionID = connectionID
        self.logger = services.logger
        self.budget = AnswerBudget(limit: services.configuration.maxPendingBytes)
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        channelContext = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        channelContext = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        logger[metadataKey: "conn.id"] = "\(connectionID)"
        // No request is read before the kernel has said who the peer is.
        pause(.peer, context)
        let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
        PeerCredentials.read(from: context.channel).whenComplete { result in
            loop.value.start(peer: (try? result.get()) ?? nil)
        }
        context.fireChannelActive()
    }

    private func start(peer: PeerCredentials?) {
        guard let context = channelContext else { return }
        if let peer { logger[metadataKey: "conn.pid"] = "\(peer.pid)" }
        let channel = context.channel
        let watches = ConnectionWatches(hub: services.hub, logger: logger) { bytes in
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
        }
        requestContext = RequestContext(
            store: services.store, peer: peer, version: services.configuration.version, logger: logger,
            rates: services.rates, connectionID: connectionID, watches: watches, pruner: services.pruner,
            permissions: services.store.permissions, tracker: tracker, cancels: services.cancels,
            send: { bytes in channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil) })
        logger.debug("connection opened")
        resume(.peer)
    }

    func channelInactive(context: ChannelHandlerContext) {
        requestContext?.watches?.closeAll()
        services.cancels?.forget(connection: connectionID)
        logger.debug("connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Input

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let requestContext else { return }
        let frames = unwrapInboundIn(data)
        var ops: [WriteOp] = []
        let now = Timestamp.now()
        for frame in frames {
            switch frame {
            case .tooLong:
                session.count()
                let error = RPCError.lineTooLong(maxLineBytes: services.configuration.maxLineBytes)
                responses.append(ready: RPCResponse.failure(error, id: .null))
            case .line(let buffer):
                switch buffer.withUnsafeReadableBytes({ RPCDecoder.decode(line: $0) }) {
                case .blank:
                    continue
                case .failure(let error):
                    session.count()
                    responses.append(ready: RPCResponse.failure(error, id: .null))
                case .single(let message):
                    handleSingle(message, requestContext, now, &ops, context)
                case .batch(let messages):
                    handleBatch(messages, requestContext, now, &ops, context)
                }
            }
        }
        reportCounted()
        if !ops.isEmpty, !services.store.submitNow(ops) {
            pause(.store, context)
            let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            services.store.whenSpaceAvailable { eventLoop.execute { loop.value.resume(.store) } }
        }
        drain(context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent {
            inputClosed = true
            // End of input is a barrier: close only once everything this connection sent is
            // committed, so a one-shot `printf ... | socat` notification is stored when socat returns.
            if Self.isClean(tracker) {
                finalBarrierDone = true
            } else {
                let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
                let eventLoop = context.eventLoop
                let op = WriteOp(.barrier) { _ in
                    eventLoop.execute {
                        loop.value.finalBarrierDone = true
                        loop.value.drain(nil)
                    }
                }
                _ = services.store.submitNow([op])
            }
            drain(context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            resume(.output)
        } else {
            pause(.output, context)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Routing

    /// How a message will be answered.
    private enum Answer {
        case none
        case now([UInt8], after: (@Sendable () -> Void)?)
        case later(Later, after: (@Sendable () -> Void)?)
    }

    /// An answer that waits for the writer or a read.
    private enum Later {
        /// A write, answered after its commit.
        case write(WriteOp, respond: @Sendable (WriteOutcome) -> Result<JSONValue, RPCError>, id: RequestID)
        /// A ready answer that must still wait for the earlier writes (a barrier); when they
        /// could not be committed, the answer is that failure instead.
        case afterBarrier([UInt8], id: RequestID, onFailure: (@Sendable () -> Void)?)
        /// A read, run once the earlier writes are committed.
        case read(@Sendable () async -> Result<JSONValue, RPCError>, id: RequestID)

        var id: RequestID {
            switch self {
            case .write(_, _, let id), .afterBarrier(_, let id, _), .read(_, let id): id
            }
        }

        /// Only a read's answer may be refused for its size: a write's answer says what was stored.
        var isRead: Bool { if case .read = self { true } else { false } }
    }

    private func handleSingle(
        _ message: IncomingMessage, _ rc: RequestContext, _ now: Timestamp, _ ops: inout [WriteOp],
        _ context: ChannelHandlerContext
    ) {
        switch answer(message, rc, now, &ops) {
        case .none: break
        case .now(let bytes, let after): responses.append(ready: bytes, after: after)
        case .later(let later, let after):
            let seq = responses.appendWaiting(after: after)
            let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let id = later.id
            let refusable = later.isRead
            schedule(later, now, &ops, afterWrites: !ops.isEmpty, context) { bytes, keepAction in
                eventLoop.execute {
                    let (line, kept) = loop.value.admit(bytes, id: id, refusable: refusable)
                    loop.value.responses.fulfill(seq, line, keepAction: keepAction && kept)
                    loop.value.drain(nil)
                }
            }
        }
    }

    private func handleBatch(
        _ messages: [IncomingMessage], _ rc: RequestContext, _ now: Timestamp, _ ops: inout [WriteOp],
        _ context: ChannelHandlerContext
    ) {
        // Members are applied in array order (PROTOCOL.md §3): a request's write goes where the
        // request stood, among the notifications' writes `answer` queued, not after all of them.
        var answers: [(answer: Answer, writesBefore: Int)] = []
        for m in messages {
            let writesBefore = ops.count
            answers.append((answer(m, rc, now, &ops), writesBefore))
        }
        let parts = answers.filter { if case .none = $0.answer { false } else { true } }.count
        guard parts > 0 else { return }
        let seq = responses.appendBatch(parts: parts)
        let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        var part = 0
        var inserted = 0
        for (a, writesBefore) in answers {
            switch a {
            case .none: continue
            case .now(let bytes, let after):
                responses.fulfill(seq, part: part, bytes)
                after?()
            case .later(let later, let after):
                let index = part
                let id = later.id
                let refusable = later.isRead
                let position = writesBefore + inserted
                var own: [WriteOp] = []
                schedule(later, now, &own, afterWrites: position > 0, context) { bytes, keepAction in
                    eventLoop.execute {
                        let (line, kept) = loop.value.admit(bytes, id: id, refusable: refusable)
                        loop.value.responses.fulfill(seq, part: index, line)
                        loop.value.drain(nil)
                        if keepAction && kept { after?() }
                    }
                }
                ops.insert(contentsOf: own, at: position)
                inserted += own.count
            }
            part += 1
        }
    }

    /// Queues what a later answer waits for; `deliver` is called (on any thread) with the answer.
    /// `deliver(bytes, keepAction)`: `keepAction` is false when the answer became a failure.
    /// `afterWrites`: writes of this connection come before it in the same submission (a read
    /// must then wait for their commit).
    private func schedule(
        _ later: Later, _ now: Timestamp, _ ops: inout [WriteOp], afterWrites: Bool,
        _ context: ChannelHandlerContext,
        deliver: @escaping @Sendable ([UInt8], Bool) -> Void
    ) {
        switch later {
        case .write(var op, let respond, let id):
            let sink = services.stats.current
            let start = ContinuousClock.now
            op.completion = { outcome in
                if let sink {
                    sink.committed(after: ContinuousClock.now - start)
                    if case .failed(.unavailable) = outcome { sink.storeError() }
                }
                deliver(Self.encode(respond(outcome), id: id), true)
            }
            ops.append(op)
        case .afterBarrier(let line, let id, let onFailure):
            // The answer says everything before it is stored: when that failed, it is the failure.
            var barrier = WriteOp(.barrier, receivedAt: now, tracker: tracker) { outcome in
                if case .failed(let error) = outcome {
                    onFailure?()
                    deliver(Self.encode(.failure(RPCError(error)), id: id), false)
                } else {
                    deliver(line, true)
                }
            }
            session.tag(&barrier)
            ops.append(barrier)
        case .read(let read, let id):
            let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let budget = self.budget
            let job: @Sendable () async -> Void = {
                // Not run at all while the connection is over its bound: the answer could only be refused.
                if budget.isFull {
                    deliver(Self.encode(.failure(.answerTooLarge(maxPendingBytes: budget.limit)), id: id), true)
                } else {
                    deliver(Self.encode(await read(), id: id), true)
                }
            }
            let start: @Sendable () -> Void = {
                if eventLoop.inEventLoop {
                    loop.value.enqueueRead(job)
                } else {
                    eventLoop.execute { loop.value.enqueueRead(job) }
                }
            }
            if !afterWrites, ops.isEmpty, Self.isClean(tracker) {
                start()
            } else {
                var barrier = WriteOp(.barrier, receivedAt: now, tracker: tracker) { outcome in
                    if case .failed(let error) = outcome {
                        deliver(Self.encode(.failure(RPCError(error)), id: id), true)
                    } else {
                        start()
                    }
                }
                session.tag(&barrier)
                ops.append(barrier)
            }
        }
    }

    /// Nothing of the connection is in flight and no lost notification awaits its report:
    /// a barrier would change nothing.
    private static func isClean(_ tracker: CommitTracker) -> Bool {
        tracker.isSettled && tracker.unreportedLoss == nil
    }

    /// Routes one message; a notification's write goes straight into `ops`.
    private func answer(_ message: IncomingMessage, _ rc: RequestContext, _ now: Timestamp, _ ops: inout [WriteOp])
        -> Answer
    {
        let request: RPCRequest
        switch message {
        case .invalid(let error, let id):
            session.count()
            return .now(RPCResponse.failure(error, id: id), after: nil)
        case .request(let r):
            request = r
        }
        count(Method.named(request.method) == nil ? "unknown" : request.method)
        // `hello` is taken here (it numbers what follows); the length first: one compare per message.
        if request.method.utf8.count == 5, request.method == Method.hello.rawValue, !request.positionalParams {
            return hello(request, uid: rc.peer?.uid, now, &ops)
        }
        session.count()
        let uid = rc.peer?.uid
        switch Router.route(request, rc) {
        case .failure(let error):
            guard let id = request.id else {
                // Counted on its run and reported to the next `ping`, in order, by the writer.
                let rejection = Self.rejection(request, error)
                var op = WriteOp(rejection, receivedAt: now, callerUid: uid, tracker: tracker)
                session.tag(&op)
                ops.append(op)
                return .none
            }
            return .now(RPCResponse.failure(error, id: id), after: nil)
        case .success(.write(let command, let at, let respond)):
            if let cancelListener, let run = command.runID, run != lastCancelRun {
                lastCancelRun = run
                cancelListener.listen(run, catchingUpFrom: services.store)
            }
            let jobTime = CallTime.accepted(at, now: now.milliseconds).map(Timestamp.init(milliseconds:))
            var op = WriteOp(command, receivedAt: now, callerUid: uid, tracker: tracker, at: jobTime)
            session.tag(&op)
            guard let id = request.id else {
                ops.append(op)
                return .none
            }
            return .later(.write(op, respond: respond, id: id), after: nil)
        case .success(.immediate(let result, let after, let onFailure)):
            guard let id = request.id else {
                after?()
                return .none
            }
            let line = Self.encode(result, id: id)
            if ops.isEmpty, Self.isClean(tracker) { return .now(line, after: after) }
            return .later(.afterBarrier(line, id: id, onFailure: onFailure), after: after)
        case .success(.read(let read)):
            guard let id = request.id else { return .none }
            return .later(.read(read, id: id), after: nil)
        }
    }

    /// Counts one message of `method` for `/metrics`.
    private func count(_ method: String) {
        if method != countedMethod {
            reportCounted()
            countedMethod = method
        }
        countedMessages += 1
    }

    /// Reports the counted messages to the stats sink (one lock for the sink, not one per message).
    private func reportCounted() {
        guard countedMessages > 0, let method = countedMethod else { return }
        services.stats.current?.message(method, count: countedMessages)
        countedMessages = 0
    }

    /// `hello`: starts numbering this connection's messages in a client session. Answered once the
    /// writer has applied it (after every write queued before it): the session's committed count.
    private func hello(_ request: RPCRequest, uid: UInt32?, _ now: Timestamp, _ ops: inout [WriteOp]) -> Answer {
        let params: HelloParams
        do {
            params = try HelloParams(from: ParamReader(request.params))
        } catch {
            guard let id = request.id else { return .none }
            return .now(RPCResponse.failure(error, id: id), after: nil)
        }
        if params.acceptsCancel, let rc = requestContext {
            requestContext?.acceptsCancel = true
            cancelListener = CancelListener(rc)
        }
        let link = session.start(params, uid: uid)
        let op = WriteOp(.hello(link), receivedAt: now, tracker: tracker)
        guard let id = request.id else {
            ops.append(op)
            return .none
        }
        let name = params.session
        let respond: @Sendable (WriteOutcome) -> Result<JSONValue, RPCError> = { outcome in
            switch outcome {
            case .session(let applied): .success(HelloResult(session: name, applied: applied).json)
            case .failed(let e): .failure(RPCError(e))
            default: .failure(.internalError)
            }
        }
        return .later(.write(op, respond: respond, id: id), after: nil)
    }

    /// A refused notification as a write for the writer to count: its run (when its
    /// `jobRunId` is readable), method and reason.
    private static func rejection(_ request: RPCRequest, _ error: RPCError) -> WriteCommand {
        let run = try? ParamReader(request.params).id("jobRunId")
        var reason = error.message
        if let data = error.data?.objectValue {
            if let field = data["field"]?.stringValue, let why = data["reason"]?.stringValue {
                reason += " (\(field): \(why))"
            } else if let why = data["reason"]?.stringValue {
                reason += " (\(why))"
            }
        }
        let method = String(request.method.prefix(64))
        return .reject(run: run ?? nil, method: method, reason: reason)
    }

    // MARK: - Bounded answers

    /// Runs reads in request order, at most `maxConcurrentReads` at once.
    private func enqueueRead(_ job: @escaping @Sendable () async -> Void) {
        readQueue.append(job)
        pumpReads()
    }

    private func pumpReads() {
        guard let context = channelContext else { return }
        let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        while readsRunning < Self.maxConcurrentReads, readQueueHead < readQueue.count {
            let job = readQueue[readQueueHead]
            readQueueHead += 1
            readsRunning += 1
            Task {
                await job()
                eventLoop.execute {
                    loop.value.readsRunning -= 1
                    loop.value.pumpReads()
                }
            }
        }
        if readQueueHead > 64, readQueueHead * 2 > readQueue.count {
            readQueue.removeFirst(readQueueHead)
            readQueueHead = 0
        }
    }

    /// The answer to keep for a request: `bytes`, or, for a read whose answer would take the
    /// connection past its bound, `answer too large`. `kept` is false when it was replaced.
    private func admit(_ bytes: [UInt8], id: RequestID, refusable: Bool) -> (line: [UInt8], kept: Bool) {
        guard refusable, responses.heldBytes + outstanding + bytes.count > budget.limit else { return (bytes, true) }
        budget.startRefusing()
        return (Self.encode(.failure(.answerTooLarge(maxPendingBytes: budget.limit)), id: id), false)
    }

    /// Publishes the bytes held and pauses reading while they are over the bound (resumes at half).
    private func checkBudget(_ context: ChannelHandlerContext) {
        let held = responses.heldBytes + outstanding
        budget.bytes = held
        if held > budget.limit {
            pause(.owed, context)
        } else if held <= budget.limit / 2 {
            budget.stopRefusing()
            resume(.owed)
        }
    }

    private static func encode(_ result: Result<JSONValue, RPCError>, id: RequestID) -> [UInt8] {
        switch result {
        case .success(let value): RPCResponse.success(value, id: id)
        case .failure(let error): RPCResponse.failure(error, id: id)
        }
    }

    // MARK: - Output

    /// Writes every answer that is ready at the head, in one write; then applies back-pressure and half-close.
    private func drain(_ given: ChannelHandlerContext?) {
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
            let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
            promise.futureResult.whenComplete { _ in
                loop.value.outstanding -= written
                if let context = loop.value.channelContext { loop.value.checkBudget(context) }
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

    private func pause(_ reason: PauseReason, _ context: ChannelHandlerContext) {
        let wasReading = paused.isEmpty
        paused.insert(reason)
        if wasReading { context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } }
    }

    private func resume(_ reason: PauseReason) {
        guard paused.remove(reason) != nil, paused.isEmpty, let context = channelContext else { return }
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        context.read()
    }
}
