import Hummingbird
import HummingbirdWebSocket
import JobLogJSON
import JobLogProtocol
import JobLogServer

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
        let handoff = Handoff()
        let session = server.localSession { bytes in
            for p in EventLines.params(bytes) { try await handoff.put(Array(p)) }
        }
        defer { session.close() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await handoff.drain { bytes in
                    try await outbound.write(.text(String(decoding: bytes, as: UTF8.self)))
                }
            }
            do {
                for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                    guard case .text(let text) = message else {
                        try await handoff.put(Self.error(.invalidRequest("send text frames")))
                        continue
                    }
                    try await handle(text, session, handoff)
                }
            } catch {}
            handoff.finish()
            group.cancelAll()
        }
    }

    private func handle(_ text: String, _ session: LocalSession, _ handoff: Handoff) async throws {
        guard case .object(let message)? = try? JSONParser.parse(Array(text.utf8)), message.members.count == 1 else {
            try await handoff.put(Self.error(.invalidRequest(#"send {"watch":{…}} or {"unwatch":"ID"}"#)))
            return
        }
        switch (message.members[0].key, message.members[0].value) {
        case ("watch", .object(let params)):
            let answer = await session.call(.watch, params)
            switch answer.result {
            case .success(let value):
                try await handoff.put(JSONWriter.encode(value))
                answer.afterDelivery?()
            case .failure(let error):
                try await handoff.put(Self.error(error))
            }
        case ("unwatch", .string(let id)):
            switch await session.call(.unwatch, JSONObject([("subscription", .string(id))])).result {
            case .success: try await handoff.put(JSONWriter.encode(.object(JSONObject([("unwatched", .string(id))]))))
            case .failure(let error): try await handoff.put(Self.error(error))
            }
        default:
            try await handoff.put(Self.error(.invalidRequest(#"send {"watch":{…}} or {"unwatch":"ID"}"#)))
        }
    }

    private static func error(_ error: RPCError) -> [UInt8] {
        JSONWriter.encode(.object(JSONObject([("error", error.json)])))
    }
}
