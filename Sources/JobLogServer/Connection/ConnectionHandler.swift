import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore
import Logging
import NIOCore

/// Serves one connection: reads bursts of lines, routes each message, queues
/// writes for the store, and answers requests in order once their effects are committed.
///
/// Two tasks per connection: this reader, and a responder that writes answers
/// in request order as they become ready (batched into one socket write).
struct ConnectionHandler: Sendable {
    let store: JobLogStore
    let configuration: ServerConfiguration
    let rates: ProgressRates
    let hub: WatchHub
    let pruner: Pruner
    let logger: Logger

    /// Pending responses per connection before the reader stops reading.
    static let maxPendingResponses = 1024

    func handle(_ connection: NIOAsyncChannel<[Frame], ByteBuffer>, id: UInt64) async {
        let peer = await PeerCredentials.read(from: connection.channel)
        var logger = self.logger
        logger[metadataKey: "conn.id"] = "\(id)"
        if let peer { logger[metadataKey: "conn.pid"] = "\(peer.pid)" }
        let tracker = CommitTracker()
        let responses = ResponseQueue(capacity: Self.maxPendingResponses)
        logger.debug("connection opened")
        var watches: ConnectionWatches?
        do {
            try await connection.executeThenClose { inbound, outbound in
                let connectionWatches = ConnectionWatches(hub: hub, logger: logger) { bytes in
                    try await outbound.write(ByteBuffer(bytes: bytes))
                }
                watches = connectionWatches
                let context = RequestContext(
                    store: store, peer: peer, version: configuration.version, logger: logger, rates: rates,
                    connectionID: id, watches: connectionWatches, pruner: pruner,
                    permissions: configuration.permissions)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await Self.respond(responses, outbound) }
                    do {
                        for try await frames in inbound {
                            let pending = await process(frames, context: context, tracker: tracker)
                            for p in pending { await responses.push(p) }
                        }
                    } catch {
                        logger.debug("connection read ended", metadata: ["error": "\(error)"])
                    }
                    // End of input is a barrier too: the connection closes only once everything it
                    // sent is committed, so a one-shot `printf ... | socat` notification is stored
                    // when socat returns.
                    if !tracker.isSettled {
                        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                            let op = WriteOp(.barrier, tracker: nil) { _ in c.resume() }
                            Task { await store.submit([op]) }
                        }
                    }
                    responses.finish()
                    try await group.waitForAll()
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
        watches?.closeAll()
        logger.debug("connection closed")
    }

    /// Writes answers in request order, as many as are ready in one write.
    private static func respond(
        _ responses: ResponseQueue, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        while let first = await responses.pop() {
            var out = ByteBuffer()
            out.writeBytes(await first.line())
            out.writeInteger(UInt8(ascii: "\n"))
            var after = first.afterWrite
            while out.readableBytes < 256 * 1024, let next = responses.popIfReady() {
                out.writeBytes(await next.line())
                out.writeInteger(UInt8(ascii: "\n"))
                after += next.afterWrite
            }
            try await outbound.write(out)
            for action in after { action() }
        }
    }

    /// Handles one burst: writes are queued together (one lock, one wake-up of the writer).
    private func process(_ frames: [Frame], context: RequestContext, tracker: CommitTracker) async -> [PendingResponse]
    {
        var ops: [WriteOp] = []
        var pending: [PendingResponse] = []
        let now = Timestamp.now()
        for frame in frames {
            switch frame {
            case .tooLong:
                let error = RPCError.lineTooLong(maxLineBytes: configuration.maxLineBytes)
                pending.append(.single(ResponseSlot(ready: RPCResponse.failure(error, id: .null))))
            case .line(let buffer):
                let decoded = buffer.withUnsafeReadableBytes { RPCDecoder.decode(line: $0) }
                switch decoded {
                case .blank:
                    continue
                case .failure(let error):
                    pending.append(.single(ResponseSlot(ready: RPCResponse.failure(error, id: .null))))
                case .single(let message):
                    if let slot = handle(message, context, tracker, now, &ops) { pending.append(.single(slot)) }
                case .batch(let messages):
                    var slots: [ResponseSlot] = []
                    for m in messages {
                        if let slot = handle(m, context, tracker, now, &ops) { slots.append(slot) }
                    }
                    if !slots.isEmpty { pending.append(.batch(slots)) }
                }
            }
        }
        if !ops.isEmpty { await store.submit(ops) }
        return pending
    }

    /// Routes one message; returns the slot its response will fill, nil for a notification.
    private func handle(
        _ message: IncomingMessage, _ context: RequestContext, _ tracker: CommitTracker, _ now: Timestamp,
        _ ops: inout [WriteOp]
    ) -> ResponseSlot? {
        let request: RPCRequest
        switch message {
        case .invalid(let error, let id):
            return ResponseSlot(ready: RPCResponse.failure(error, id: id))
        case .request(let r):
            request = r
        }
        let uid = context.peer?.uid
        switch Router.route(request, context) {
        case .failure(let error):
            if request.id == nil {
                logger.debug(
                    "notification rejected", metadata: ["rpc.method": "\(request.method)", "error": "\(error)"])
            }
            return request.id.map { ResponseSlot(ready: RPCResponse.failure(error, id: $0)) }
        case .success(.write(let command, let respond)):
            guard let id = request.id else {
                ops.append(WriteOp(command, receivedAt: now, callerUid: uid, tracker: tracker))
                return nil
            }
            let slot = ResponseSlot()
            ops.append(
                WriteOp(command, receivedAt: now, callerUid: uid, tracker: tracker) { outcome in
                    slot.fulfill(Self.encode(respond(outcome), id: id))
                })
            return slot
        case .success(.immediate(let result, let afterWrite, let onBarrierFailure)):
            guard let id = request.id else {
                afterWrite?()
                return nil
            }
            let line = Self.encode(result, id: id)
            if ops.isEmpty, Self.isClean(tracker) { return ResponseSlot(ready: line, afterWrite: afterWrite) }
            // The answer says that everything before it is stored: when that failed, it is the failure.
            let slot = ResponseSlot(afterWrite: afterWrite)
            ops.append(
                WriteOp(.barrier, receivedAt: now, tracker: tracker) { outcome in
                    if case .failed(let error) = outcome {
                        onBarrierFailure?()
                        slot.fulfill(Self.encode(.failure(RPCError(error)), id: id), runAfterWrite: false)
                    } else {
                        slot.fulfill(line)
                    }
                })
            return slot
        case .success(.read(let read)):
            guard let id = request.id else { return nil }
            let slot = ResponseSlot()
            let start: @Sendable () -> Void = {
                Task { slot.fulfill(Self.encode(await read(), id: id)) }
            }
            if ops.isEmpty, Self.isClean(tracker) {
                start()
            } else {
                ops.append(
                    WriteOp(.barrier, receivedAt: now, tracker: tracker) { outcome in
                        if case .failed(let error) = outcome {
                            slot.fulfill(Self.encode(.failure(RPCError(error)), id: id))
                        } else {
                            start()
                        }
                    })
            }
            return slot
        }
    }

    /// Nothing of the connection is in flight and no lost notification awaits its report:
    /// a barrier would change nothing.
    private static func isClean(_ tracker: CommitTracker) -> Bool {
        tracker.isSettled && tracker.unreportedLoss == nil
    }

    private static func encode(_ result: Result<JSONValue, RPCError>, id: RequestID) -> [UInt8] {
        switch result {
        case .success(let value): RPCResponse.success(value, id: id)
        case .failure(let error): RPCResponse.failure(error, id: id)
        }
    }
}
