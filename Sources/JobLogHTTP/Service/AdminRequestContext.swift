import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of the HTTP service: Hummingbird's WebSocket-capable context, plus the
/// connection's channel, so the WebSocket route can write a chunk of event frames with one flush
/// (Hummingbird's outbound writer flushes each frame, a system call per event).
public struct AdminRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The connection this request came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
