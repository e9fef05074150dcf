import JobLogProtocol
import JobLogStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's socket server, a lifecycle `Service`.
///
/// On graceful shutdown it stops accepting, stops reading from every
/// connection, answers what it has read, and removes the socket file; the
/// store service (started before it, stopped after it) then commits the rest.
public final class JobLogServer: Service, Sendable {
    private let configuration: ServerConfiguration
    private let store: JobLogStore
    private let logger: Logger
    private let registry: ConnectionRegistry
    private let rates: ProgressRates
    private let hub: WatchHub
    private let pruner: Pruner
    private let group: any EventLoopGroup
    private let services: ConnectionServices
    /// Where the server reports messages, commits, errors and lagging subscribers.
    public let stats: ServerStats

    public init(
        configuration: ServerConfiguration, store: JobLogStore, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.group = group
        let stats = ServerStats()
        let hub = WatchHub(store: store, stats: stats)
        let pruner = Pruner(store: store, logger: logger)
        let rates = ProgressRates()
        let registry = ConnectionRegistry()
        self.stats = stats
        self.hub = hub
        self.pruner = pruner
        self.rates = rates
        self.registry = registry
        services = ConnectionServices(
            store: store, configuration: configuration, rates: rates, hub: hub, pruner: pruner, registry: registry,
            stats: stats, logger: logger)
        store.onCommit { events in rates.record(events) }
    }

    /// A session for another transport (HTTP), acting as `peer`; its `watch` events go to `write`.
    public func localSession(
        as peer: PeerCredentials = LocalSession.daemonIdentity,
        write: @escaping @Sendable ([UInt8]) async throws -> Void
    ) -> LocalSession {
        LocalSession(services: services, peer: peer, write: write)
    }

    /// Open socket connections.
    public var connectionCount: Int { registry.count }

    /// Live `watch` subscriptions (socket and other transports).
    public var watcherCount: Int { hub.count }

    public func run() async throws {
        let path = configuration.socketPath
        try SocketFile.prepare(path)
        let maxLine = configuration.maxLineBytes
        let maxConnections = configuration.maxConnections
        let registry = self.registry
        let services = self.services
        let oldMask = umask(0o177)
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 512)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard let id = registry.admit(channel, limit: maxConnections) else {
                            try channel.pipeline.syncOperations.addHandler(
                                RejectHandler(maxConnections: maxConnections))
                            return
                        }
                        channel.closeFuture.whenComplete { _ in registry.remove(id) }
                        try channel.pipeline.syncOperations.addHandler(LineFramer(maxLineBytes: maxLine))
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionChannelHandler(services: services, connectionID: id))
                    }
                }
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false)
                .get()
        } catch {
            umask(oldMask)
            throw error
        }
        umask(oldMask)
        chmod(path, mode_t(configuration.socketMode))
        logger.info("listening", metadata: ["socket": "\(path)"])
        defer {
            unlink(path)
            logger.info("socket closed", metadata: ["socket": "\(path)"])
        }
        await withGracefulShutdownHandler {
            try? await server.closeFuture.get()
        } onGracefulShutdown: {
            self.logger.info("shutting down: no new connections, answering what was read")
            server.close(promise: nil)
            registry.closeInputs()
        }
        // Connections finish what they read, then close; past a deadline they are closed.
        if !(await registry.waitUntilEmpty(timeout: .seconds(30))) {
            logger.warning("connections still open after 30 s: closing them")
            registry.closeAll()
        }
    }
}

/// Past `--max-connections`: one error line, then close.
final class RejectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let maxConnections: Int

    init(maxConnections: Int) { self.maxConnections = maxConnections }

    func channelActive(context: ChannelHandlerContext) {
        var line = context.channel.allocator.buffer(
            bytes: RPCResponse.failure(.tooManyConnections(maxConnections), id: .null))
        line.writeInteger(UInt8(ascii: "\n"))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(line)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
