import Hummingbird
import HummingbirdWebSocket
import JobLogJSON
import JobLogProtocol
import JobLogServer
import NIOCore
import NIOWebSocket
import ServiceLifecycle

/// `GET /api/admin/ws`: `watch` over a WebSocket.
///
/// The client sends `{"watch":{…the socket's watch params…}}` (several allowed) and
/// `{"unwatch":"ID"}`; each `watch` is answered `{"subscription":"ID"}` in order, each
/// `unwatch` `{"unwatched":"ID"}`, a bad message `{"error":{…}}`. Events are the socket
/// event's `params`, one per text frame. One task writes the frames, a chunk at a time with one
/// flush: a subscription waits for its chunk to be written, so a client that stops reading fills
/// that subscription's bounded queue, which turns into `lagged` as on the socket; writers never
/// wait for it. Every frame is written before the handler returns, so none follows
/// Hummingbird's closing frame.
struct WebSocketRoute: Sendable {
    let server: JobLogServer
    /// At most this many log entries a second per subscription (nil: all); the rest are told as `lagged`.
    let logRate: Int?
    static let maxMessageBytes = 65_536

    func add(to router: Router<AdminRequestContext>) {
        router.ws("/api/admin/ws") { inbound, _, context in
            await serve(inbound, context.requestContext.channel)
        }
    }

    private func serve(_ inbound: WebSocketInboundStream, _ channel: any Channel) async {
        // One handoff per delivered chunk (all the events a subscription took at once, as whole
        // frames), not per event.
        let handoff = Handoff<[UInt8]>()
        let session = server.localSession(logRate: logRate, framing: .webSocketText) { frames in
            try await handoff.put(frames)
        }
        defer { session.close() }
        // Whichever ends first ends the connection: the client closes, a write fails, or the daemon
        // shuts down (an open browser tab must not hold up a stop: the client is told the server is
        // going away and reconnects to the next daemon).
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await handoff.drain { frames in try await Self.write(frames, to: channel) }
                }
                group.addTask {
                    do {
                        for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                            guard case .text(let text) = message else {
                                try await Self.send(Self.error(.invalidRequest("send text frames")), handoff)
                                continue
                            }
                            try await handle(text, session, handoff)
                        }
                    } catch {}
                }
                await group.next()
                handoff.finish()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            handoff.finish()
        }
    }

    private func handle(_ text: String, _ session: LocalSession, _ handoff: Handoff<[UInt8]>) async throws {
        guard case .object(let message)? = try? JSONParser.parse(Array(text.utf8)), message.members.count == 1 else {
            try await Self.send(Self.error(.invalidRequest(#"send {"watch":{…}} or {"unwatch":"ID"}"#)), handoff)
            return
        }
        switch (message.members[0].key, message.members[0].value) {
        case ("watch", .object(let params)):
            let answer = await session.call(.watch, params)
            switch answer.result {
            case .success(let value):
                try await Self.send(JSONWriter.encode(value), handoff)
                answer.afterDelivery?()
            case .failure(let error):
                try await Self.send(Self.error(error), handoff)
            }
        case ("unwatch", .string(let id)):
            switch await session.call(.unwatch, JSONObject([("subscription", .string(id))])).result {
            case .success:
                try await Self.send(JSONWriter.encode(.object(JSONObject([("unwatched", .string(id))]))), handoff)
            case .failure(let error): try await Self.send(Self.error(error), handoff)
            }
        default:
            try await Self.send(Self.error(.invalidRequest(#"send {"watch":{…}} or {"unwatch":"ID"}"#)), handoff)
        }
    }

    /// Writes whole text frames (already framed: ``EventFraming/webSocketText``) with one write and
    /// one flush, past the frame encoder, on the connection's event loop, and waits until they are
    /// written: a client that stops reading holds this, and its subscriptions' queues fill.
    /// (Hummingbird's outbound writer encodes and flushes each frame: a header buffer and a system
    /// call per event. No extension is negotiated on this server, so frames need no processing,
    /// and a server's frames are not masked.)
    private static func write(_ frames: [UInt8], to channel: any Channel) async throws {
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            do {
                let encoder = try channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
                encoder.writeAndFlush(NIOAny(channel.allocator.buffer(bytes: frames)), promise: written)
            } catch {
                written.fail(error)
            }
        }
        try await written.futureResult.get()
    }

    private static func send(_ bytes: [UInt8], _ handoff: Handoff<[UInt8]>) async throws {
        try await handoff.put(EventFraming.textFrame(bytes))
    }

    private static func error(_ error: RPCError) -> [UInt8] {
        JSONWriter.encode(.object(JSONObject([("error", error.json)])))
    }
}
