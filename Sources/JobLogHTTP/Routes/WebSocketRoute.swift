import Hummingbird
import HummingbirdWebSocket
import JobLogJSON
import JobLogProtocol
import JobLogServer
import NIOCore
import NIOWebSocket

/// `GET /api/admin/ws`: `watch` over a WebSocket.
///
/// The client sends `{"watch":{…the socket's watch params…}}` (several allowed) and
/// `{"unwatch":"ID"}`; each `watch` is answered `{"subscription":"ID"}` in order, each
/// `unwatch` `{"unwatched":"ID"}`, a bad message `{"error":{…}}`. Events are the socket
/// event's `params`, one per text frame. One task writes the frames: a subscription waits
/// for its frame to be written, so a client that stops reading fills that subscription's
/// bounded queue, which turns into `lagged` as on the socket; writers never wait for it.
struct WebSocketRoute: Sendable {
    let server: JobLogServer
    static let maxMessageBytes = 65_536

    func add(to router: Router<BasicWebSocketRequestContext>) {
        router.ws("/api/admin/ws") { inbound, outbound, _ in
            await serve(inbound, outbound)
        }
    }

    private func serve(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter) async {
        // One handoff per delivered chunk (all the events a subscription took at once), not per event.
        let handoff = Handoff<[ByteBuffer]>()
        let session = server.localSession { bytes in
            let frames = EventLines.params(bytes).map { ByteBuffer(bytes: $0) }
            if !frames.isEmpty { try await handoff.put(frames) }
        }
        defer { session.close() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await handoff.drain { frames in
                    for frame in frames {
                        try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: frame)))
                    }
                }
            }
            do {
                for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                    guard case .text(let text) = message else {
                        try await Self.send(Self.error(.invalidRequest("send text frames")), handoff)
                        continue
                    }
                    try await handle(text, session, handoff)
                }
            } catch {}
            handoff.finish()
            group.cancelAll()
        }
    }

    private func handle(_ text: String, _ session: LocalSession, _ handoff: Handoff<[ByteBuffer]>) async throws {
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

    private static func send(_ bytes: [UInt8], _ handoff: Handoff<[ByteBuffer]>) async throws {
        try await handoff.put([ByteBuffer(bytes: bytes)])
    }

    private static func error(_ error: RPCError) -> [UInt8] {
        JSONWriter.encode(.object(JSONObject([("error", error.json)])))
    }
}
