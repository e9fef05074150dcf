import Hummingbird
import JobLogServer
import JobLogStore
import Logging
import ServiceLifecycle

/// The HTTP admin service, one more lifecycle `Service` of the daemon, on the daemon's
/// event loops. Reads the token (creating its file the first time), binds, logs the URL to
/// open; when the address cannot be bound it logs one warning and waits for shutdown, so the
/// socket keeps being served.
public struct HTTPService: Service {
    let configuration: HTTPConfiguration
    let server: JobLogServer
    let store: JobLogStore
    let logger: Logger

    public init(configuration: HTTPConfiguration, server: JobLogServer, store: JobLogStore, logger: Logger) {
        self.configuration = configuration
        self.server = server
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        let token: AccessToken?
        if configuration.requireToken {
            do {
                token = try AccessToken.loadOrCreate(path: configuration.tokenFile)
            } catch {
                logger.warning("http: not serving", metadata: ["error": "\(error)"])
                try? await gracefulShutdown()
                return
            }
        } else {
            token = nil
            if !configuration.isLoopback {
                logger.warning(
                    "http: --http-auth none on a non-loopback address: anyone who can reach it reads every run",
                    metadata: ["host": "\(configuration.host)"])
            }
        }
        let configuration = self.configuration
        let logger = self.logger
        let app = AdminApplication.make(
            server: server, store: store, configuration: configuration, token: token, logger: logger
        ) { port in
            let host =
                configuration.host.contains(where: { $0 == ":" }) ? "[\(configuration.host)]" : configuration.host
            let query = token.map { "?token=\($0.value)" } ?? ""
            logger.info("http: open http://\(host):\(port)/\(query)")
            if let file = configuration.portFile {
                do {
                    try PlainFile.replace(file, bytes: Array("\(port)\n".utf8))
                } catch {
                    logger.warning("http: cannot write the port file", metadata: ["error": "\(error)"])
                }
            }
        }
        do {
            try await app.run()
        } catch {
            logger.warning(
                "http: cannot listen; serving the socket without HTTP",
                metadata: ["address": "\(configuration.host):\(configuration.port)", "error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
