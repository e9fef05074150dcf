import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import JobLogServer
import JobLogStore
import Logging

/// The routers of the HTTP service: the same for the daemon and for tests.
public enum AdminApplication {
    public typealias Context = AdminRequestContext

    /// The HTTP router: API, event stream, metrics, health, web UI; every request through
    /// the access gate.
    static func router(
        server: JobLogServer, metrics: DaemonMetrics, token: AccessToken?, keepAlive: Duration, liveLogRate: Int?
    ) -> Router<Context> {
        let router = Router(context: Context.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: AccessMiddleware<Context>(token: token))
        let session = server.localSession { _ in }
        JobsRoutes(session: session).add(to: router)
        CancelRoute(session: session).add(to: router)
        EventStreamRoute(server: server, keepAlive: keepAlive, logRate: liveLogRate).add(to: router)
        MetricsRoute(metrics: metrics).add(to: router)
        StaticRoutes.add(to: router)
        router.get("/api/admin/ws") { _, _ -> Response in
            throw APIError(.invalidRequest("send a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)"))
        }
        return router
    }

    /// The WebSocket router: `/api/admin/ws` behind the same gate.
    static func webSocketRouter(server: JobLogServer, token: AccessToken?, liveLogRate: Int?) -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: AccessMiddleware<Context>(token: token))
        WebSocketRoute(server: server, logRate: liveLogRate).add(to: router)
        return router
    }

    /// The application, ready to run or to test.
    public static func make(
        server: JobLogServer, store: JobLogStore, configuration: HTTPConfiguration, token: AccessToken?,
        logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let metrics = DaemonMetrics(server: server, store: store)
        metrics.install()
        return DaemonApplication(
            responder: router(
                server: server, metrics: metrics, token: token, keepAlive: configuration.keepAliveInterval,
                liveLogRate: configuration.liveLogRate
            ).buildResponder(),
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSocketRouter(server: server, token: token, liveLogRate: configuration.liveLogRate)),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)),
            logger: logger, eventLoopGroup: server.eventLoopGroup,
            whenRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) })
    }
}
