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
    private let registry = ConnectionRegistry()
    private let rates = ProgressRates()
    private let hub: WatchHub
    private let pruner: Pruner
    private let group: any EventLoopGroup

    public init(
        configuration: ServerConfiguration, store: JobLogStore, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.group = group
        hub = WatchHub(store: store)
        pruner = Pruner(store: store, logger: logger)
        let rates = self.rates
        store.onCommit { events in rates.record(events) }
    }

    public func run() async throws {
        let path = configuration.socketPath
        try SocketFile.prepare(path)
        let maxLine = configuration.maxLineBytes
        let oldMask = umask(0o177)
        let server: NIOAsyncChannel<NIOAsyncChannel<[Frame], ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 512)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(LineFramer(maxLineBytes: maxLine))
                        return try NIOAsyncChannel<[Frame], ByteBuffer>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: false))
                    }
                }
        } catch {
            umask(oldMask)
            throw error
        }
        umask(oldMask)
        chmod(path, mode_t(configuration.socketMode))
        logger.info("listening", metadata: ["socket": "\(path)"])

        let handler = ConnectionHandler(
            store: store, configuration: configuration, rates: rates, hub: hub, pruner: pruner, logger: logger)
        let registry = self.registry
        let maxConnections = configuration.maxConnections
        defer {
            unlink(path)
            logger.info("socket closed", metadata: ["socket": "\(path)"])
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        if registry.count >= maxConnections {
                            group.addTask { await Self.reject(connection, maxConnections) }
                            continue
                        }
                        let id = registry.add(connection.channel)
                        group.addTask {
                            await handler.handle(connection, id: id)
                            registry.remove(id)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            self.logger.info("shutting down: no new connections, answering what was read")
            server.channel.close(promise: nil)
            registry.closeInputs()
        }
    }

    /// One error line, then close.
    private static func reject(_ connection: NIOAsyncChannel<[Frame], ByteBuffer>, _ max: Int) async {
        try? await connection.executeThenClose { _, outbound in
            var line = ByteBuffer(bytes: RPCResponse.failure(.tooManyConnections(max), id: .null))
            line.writeInteger(UInt8(ascii: "\n"))
            try await outbound.write(line)
        }
    }
}
