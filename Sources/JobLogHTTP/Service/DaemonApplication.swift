import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// The HTTP application as the daemon runs it: Hummingbird's router, server and configuration,
/// served by a `run()` of its own instead of `Application`'s.
///
/// `Application.run()` adds a service that formats the `Date` header once a second on a timer,
/// under a service group of its own. A sidecar that idles most of its life should not wake up
/// every second, nor keep the code of a timer, a calendar and a second service group resident
/// for it: this run formats the header when a response needs it (``HTTPDate``, once per second at
/// most) and runs the server directly as a service of the daemon's group, whose graceful shutdown
/// it follows. Requests are answered exactly as `Application` answers them. (HummingbirdTesting
/// drives the same responder and server; its live mode runs them under `Application`'s run.)
struct DaemonApplication<Responder: HTTPResponder>: ApplicationProtocol
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let responder: Responder
    let server: HTTPServerBuilder
    let configuration: ApplicationConfiguration
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let whenRunning: @Sendable (any Channel) async -> Void

    func onServerRunning(_ channel: any Channel) async { await whenRunning(channel) }

    func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let date = HTTPDate()
        let serverName = configuration.serverName
        let service = try server.buildServer(
            configuration: HummingbirdCore.ServerConfiguration(
                address: configuration.address, serverName: serverName, backlog: configuration.backlog,
                reuseAddress: configuration.reuseAddress,
                availableConnectionsDelegate: configuration.availableConnectionsDelegate),
            eventLoopGroup: eventLoopGroup, logger: logger
        ) { (request, writer: consuming ResponseWriter, channel) in
            let context = Responder.Context(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error
            } catch {
                logger.debug("http: unanswered error", metadata: ["error": "\(error)"])
                response = Response(status: .internalServerError, body: .init())
            }
            response.headers[.date] = date.now()
            if let serverName { response.headers[.server] = serverName }
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // Not rethrown as a parser error, which would make the connection answer 400 after
                // a response has begun: any other error closes it.
                throw ResponseWriteFailed()
            }
        } onServerRunning: { channel in
            await whenRunning(channel)
        }
        try await service.run()
    }
}

/// Writing a response failed part way; the connection is closed.
struct ResponseWriteFailed: Error {}
