import JobLogModel
import JobLogProtocol
import JobLogStore
import Logging
import NIOCore

/// Serves one connection on its event loop: decodes each burst of lines, has the connection's
/// ``RequestPipeline`` plan every message (single or batch member alike), hands the burst's writes
/// to the store's writer thread in one batch, and writes answers in request order as their
/// commits (or reads) complete (the `+Answers` extension). No routing here.
///
/// Threading: all state is confined to the channel's event loop. SQLite never runs
/// here: writes go to the writer thread, reads to GRDB's reader pool; their
/// completions hop back to this loop (``LoopHop``). Decoding runs here too: measured, the hops
/// to and from a task pool cost more than the decoding they would move away.
///
/// Back-pressure: reading pauses while more than `maxPendingResponses` answers are
/// owed, while the socket is not writable (a client that never reads), while the store's queue
/// is full, and while the answers held are over the byte bound; so a connection holds a bounded
/// amount of memory. Half-close: the connection closes once everything it sent is committed
/// and answered.
final class ConnectionChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = [Frame]
    typealias OutboundOut = ByteBuffer

    static let maxPendingResponses = 1024
    static let maxConcurrentReads = 2

    enum PauseReason: Hashable {
        case peer, responses, output, store, owed
    }

    let services: ConnectionServices
    let connectionID: UInt64
    var logger: Logger
    /// Set once the kernel has named the peer: nothing is read before.
    var pipeline: RequestPipeline?
    var channelContext: ChannelHandlerContext?
    var eventLoop: (any EventLoop)?
    var responses = OrderedResponses()
    var reads: ReadScheduler?
    let budget: AnswerBudget
    /// Bytes written to the channel whose write has not completed (in its outbound buffer).
    var outstanding = 0
    private var paused: Set<PauseReason> = []
    var inputClosed = false
    var finalBarrierDone = false

    init(services: ConnectionServices, connectionID: UInt64) {
        self.services = services
        self.connectionID = connectionID
        self.logger = services.logger
        self.budget = AnswerBudget(limit: services.configuration.maxPendingBytes)
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        channelContext = context
        eventLoop = context.eventLoop
        reads = ReadScheduler(limit: Self.maxConcurrentReads, on: context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        channelContext = nil
        reads?.stop()
    }

    func channelActive(context: ChannelHandlerContext) {
        logger[metadataKey: "conn.id"] = "\(connectionID)"
        // No request is read before the kernel has said who the peer is.
        pause(.peer, context)
        let hop = LoopHop(self, on: context.eventLoop)
        PeerCredentials.read(from: context.channel).whenComplete { result in
            hop.run { $0.start(peer: (try? result.get()) ?? nil) }
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
        let requestContext = RequestContext(
            services: services, peer: peer, connectionID: connectionID, logger: logger, watches: watches,
            send: { bytes in channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil) })
        pipeline = RequestPipeline(context: requestContext, stats: services.stats, numbersMessages: true)
        logger.debug("connection opened")
        resume(.peer)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pipeline?.context.watches?.closeAll()
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
        guard pipeline != nil else { return }
        var ops: [WriteOp] = []
        let now = Timestamp.now()
        for frame in unwrapInboundIn(data) {
            switch frame {
            case .tooLong:
                let error = RPCError.lineTooLong(maxLineBytes: services.configuration.maxLineBytes)
                take(.invalid(error, id: .null), inBatch: nil, now, &ops)
            case .line(let buffer):
                switch buffer.withUnsafeReadableBytes({ RPCDecoder.decode(line: $0) }) {
                case .blank:
                    continue
                case .failure(let error):
                    take(.invalid(error, id: .null), inBatch: nil, now, &ops)
                case .single(let message):
                    take(message, inBatch: nil, now, &ops)
                case .incrementProgress(let params):
                    pipeline?.planIncrement(params, now: now, ops: &ops)
                case .batch(let messages):
                    // Members are applied in array order (PROTOCOL.md §3): each one's write is
                    // queued where it stood, among the others'.
                    let batch = responses.openBatch()
                    for message in messages { take(message, inBatch: batch, now, &ops) }
                    responses.closeBatch(batch)
                }
            }
        }
        pipeline?.reportCounted()
        if !ops.isEmpty, !services.store.submitNow(ops) {
            pause(.store, context)
            let hop = LoopHop(self, on: context.eventLoop)
            services.store.whenSpaceAvailable { hop.hop { $0.resume(.store) } }
        }
        drain(context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent {
            inputClosed = true
            // End of input is a barrier: close only once everything this connection sent is
            // committed, so a one-shot `printf ... | socat` notification is stored when socat returns.
            if pipeline?.isClean ?? true {
                finalBarrierDone = true
            } else {
                let hop = LoopHop(self, on: context.eventLoop)
                let op = WriteOp(.barrier) { _ in
                    hop.hop { handler in
                        handler.finalBarrierDone = true
                        handler.drain(nil)
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

    // MARK: - Back-pressure

    func pause(_ reason: PauseReason, _ context: ChannelHandlerContext) {
        let wasReading = paused.isEmpty
        paused.insert(reason)
        if wasReading { context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } }
    }

    func resume(_ reason: PauseReason) {
        guard paused.remove(reason) != nil, paused.isEmpty, let context = channelContext else { return }
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        context.read()
    }
}
