import JobLogProtocol
import JobLogStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

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
    let hub: WatchHub
    /// Retention: one pruner for `pruneRuns` and the daily retention service (one prune at a time).
    let pruner: Pruner
    let cancels: CancelService
    private let group: any EventLoopGroup
    /// The event loops the socket is served on (the HTTP service shares them).
    public var eventLoopGroup: any EventLoopGroup { group }
    let services: ConnectionServices
    /// Where the server reports messages, commits, errors and lagging subscribers.
    public let stats: ServerStats
    /// How often the socket path is checked.
    let socketCheckInterval: Duration = .seconds(1)

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
        let cancels = CancelService(store: store, logger: logger)
        let rates = ProgressRates()
        let registry = ConnectionRegistry()
        self.stats = stats
        self.hub = hub
        self.pruner = pruner
        self.cancels = cancels
        self.rates = rates
        self.registry = registry
        services = ConnectionServices(
            store: store, configuration: configuration, rates: rates, hub: hub, pruner: pruner,
            stats: stats, logger: logger, cancels: cancels)
        store.onCommit { events in rates.record(events) }
    }

    /// A session for another transport (HTTP), acting as `peer`; its `watch` events go to `write`
    /// as `framing` says, with at most `logRate` log entries a second per subscription when set (a
    /// live view's pace).
    public func localSession(
        as peer: PeerCredentials = LocalSession.daemonIdentity, logRate: Int? = nil, framing: EventFraming = .lines,
        write: @escaping @Sendable ([UInt8]) async throws -> Void
    ) -> LocalSession {
        LocalSession(services: services, peer: peer, logRate: logRate, framing: framing, write: write)
    }

    /// Live `watch` subscriptions (socket and other transports).
    public var watcherCount: Int { hub.count }

    /// Connections open now.
    public var connectionCount: Int { registry.count }

    public func run() async throws {
        let path = configuration.socketPath
        let inherited = configuration.inheritedSocket
        if inherited == nil { try SocketFile.prepare(path) }
        // A passed socket belongs to the service manager: its mode and file are left alone.
        let bound: (fd: Int32, identity: SocketFile.Identity?) =
            if let inherited { (inherited, nil) } else { try SocketFile.listen(path, mode: configuration.socketMode) }
        let first = try await serve(bound.fd)
        let created = bound.identity
        logger.info("listening", metadata: ["socket": "\(path)", "activated": "\(inherited != nil)"])
        configuration.onListening?()
        let listeners = Listeners(first)
        let registry = self.registry
        // The path is checked while the daemon runs: a removed socket file is created again, and a
        // path that another process has taken is left alone (and not removed at shutdown).
        let watcher = Task { [self] in
            var owned = created
            while !Task.isCancelled, owned != nil {
                try? await Task.sleep(for: socketCheckInterval)
                if Task.isCancelled { break }
                owned = await self.checkSocket(path, owned: owned, listeners: listeners)
            }
            return owned
        }
        await withGracefulShutdownHandler {
            try? await first.closeFuture.get()
        } onGracefulShutdown: {
            self.logger.info("shutting down: no new connections, answering what was read")
            listeners.closeAll()
            registry.closeInputs()
        }
        watcher.cancel()
        let finalOwned = await watcher.value
        if let finalOwned, SocketFile.identity(path) == finalOwned {
            unlink(path)
            logger.info("socket closed", metadata: ["socket": "\(path)"])
        } else if inherited != nil {
            logger.info("socket left to the service manager", metadata: ["socket": "\(path)"])
        } else {
            logger.warning("socket path no longer ours: left in place", metadata: ["socket": "\(path)"])
        }
        // Connections finish what they read, then close; past a deadline they are closed.
        if !(await registry.waitUntilEmpty(timeout: .seconds(30))) {
            logger.warning("connections still open after 30 s: closing them")
            registry.closeAll()
        }
    }

    /// One check of the socket path; returns the identity of the socket file that is ours now.
    private func checkSocket(_ path: String, owned: SocketFile.Identity?, listeners: Listeners) async
        -> SocketFile.Identity?
    {
        guard let owned else { return nil }
        let current = SocketFile.identity(path)
        if current == owned { return owned }
        if current != nil {
            logger.error(
                "the socket path now belongs to another file or process: not serving it any more",
                metadata: ["socket": "\(path)"])
            return nil
        }
        logger.error("the socket file was removed: creating it again", metadata: ["socket": "\(path)"])
        do {
            let bound = try SocketFile.listen(path, mode: configuration.socketMode)
            let channel = try await serve(bound.fd)
            guard listeners.add(channel) else {
                channel.close(promise: nil)
                return owned
            }
            return bound.identity
        } catch {
            logger.error(
                "cannot create the socket file again", metadata: ["socket": "\(path)", "error": "\(error)"])
            return owned
        }
    }

    /// Serves a listening socket (bound here, or passed by the service manager).
    private func serve(_ fd: Int32) async throws -> any Channel {
        let maxLine = configuration.maxLineBytes
        let maxConnections = configuration.maxConnections
        let limits = configuration.connectionLimits(trusting: store.permissions)
        let registry = self.registry
        let services = self.services
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                PeerCredentials.read(from: channel).flatMapThrowing { peer in
                    switch registry.admit(channel, uid: peer?.uid, limits: limits) {
                    case .failure(let refusal):
                        let error: RPCError =
                            switch refusal {
                            case .full: .tooManyConnections(maxConnections)
                            case .uidFull(let uid): .tooManyConnectionsForUid(uid, max: limits.perUid)
                            }
                        try channel.pipeline.syncOperations.addHandler(RejectHandler(error: error))
                    case .success(let id):
                        channel.closeFuture.whenComplete { _ in registry.remove(id) }
                        try channel.pipeline.syncOperations.addHandler(LineFramer(maxLineBytes: maxLine))
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionChannelHandler(services: services, connectionID: id))
                    }
                }
            }
            .withBoundSocket(fd)
            .get()
        return server
    }
}

/// The listening channels: the first one, and those bound again after the socket file was removed.
final class Listeners: Sendable {
    private let state: Mutex<(channels: [any Channel], closed: Bool)>

    init(_ first: any Channel) { state = Mutex(([first], false)) }

    /// Adds a listener; false when shutdown has begun.
    func add(_ channel: any Channel) -> Bool {
        state.withLock { s in
            guard !s.closed else { return false }
            s.channels.append(channel)
            return true
        }
    }

    func closeAll() {
        let channels = state.withLock { s in
            s.closed = true
            return s.channels
        }
        for c in channels { c.close(promise: nil) }
    }
}

/// Past `--max-connections`: one error line, then close.
final class RejectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let error: RPCError

    init(error: RPCError) { self.error = error }

    func channelActive(context: ChannelHandlerContext) {
        var line = context.channel.allocator.buffer(
            bytes: RPCResponse.failure(error, id: .null))
        line.writeInteger(UInt8(ascii: "\n"))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(line)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
