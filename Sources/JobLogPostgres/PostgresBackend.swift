import JobLogModel
import JobLogStore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The store on a PostgreSQL database that several daemons may share (issue 17).
///
/// Writes go through one connection of the writer thread (``PostgresTransaction``): `BEGIN`, the
/// statements of one group commit, `COMMIT`. The connection is dropped after a failed
/// transaction and made again for the next one, so a restarted server is reached again by
/// itself; failed attempts back off (``ReconnectBackoff``: 100 ms doubling to 5 s), and between
/// attempts a transaction fails at once with the last reason. Reads go through a `PostgresClient`
/// pool, whose `run()` this backend runs on a task it owns (cancelled when the writer stops or the
/// backend goes away); while the server is known to be unreachable they give up after
/// ``outageReadTimeout``.
///
/// The insight reads (`searchLogs`, `listJobs`, `jobStats`, `compareRuns`, the usual duration)
/// are in `PostgresBackend+Insights.swift`; the slow flag in `PostgresTransaction+Slow.swift`.
public final class PostgresBackend: StoreBackend, @unchecked Sendable {
    /// How long one statement of the writer may take before the store answers "unavailable".
    public static let statementTimeout: Duration = .seconds(30)
    /// How long a read may take (waiting for a pooled connection included).
    public static let readTimeout: Duration = .seconds(10)
    /// How long a read may wait while the server is known to be unreachable (see ``StoreHealth``).
    public static let outageReadTimeout: Duration = .seconds(1)
    /// How long the writer waits for a new connection.
    public static let connectTimeout: Duration = .seconds(5)

    let client: PostgresClient
    let logger: Logger
    /// The daemon's `--node-name` (its lease, and the runs its reaper judges); nil for a tool
    /// that is no daemon (it judges nothing and holds no lease). See PostgresBackend+Fleet.swift.
    let nodeName: String?
    /// This daemon's `--node-name` as the `NOTIFY` of each commit names it (``PostgresNotify``).
    var node: String { nodeName ?? "" }
    private let connectionConfiguration: PostgresConnection.Configuration
    private let runTask: Task<Void, Never>
    let health = StoreHealth()
    /// What the last lease renewal saw of the other nodes (PostgresBackend+Fleet.swift).
    let leaseView = Mutex<LeaseView?>(nil)

    // The writer thread's own.
    private var connection: PostgresConnection?
    private var nextConnectionID = 1
    private var backoff = ReconnectBackoff()
    /// Whether this writer told ``health`` the server is lost (so a commit tells it it is back).
    private var reportedLost = false

    /// Connects, applies the schema's migrations (under an advisory lock), takes the node's lease
    /// when `nodeName` is given (a daemon) and starts the pool.
    public static func open(url: PostgresStoreURL, nodeName: String? = nil, logger: Logger) async throws
        -> PostgresBackend
    {
        let backend = try PostgresBackend(url: url, nodeName: nodeName, logger: logger)
        // On a connection of its own, not the pool's: an unreachable server fails here at once
        // (the pool would keep retrying), and the advisory lock is this session's.
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: backend.connectionConfiguration,
                id: 0, logger: logger
            ).get()
            do {
                try await PostgresSchema.migrate(connection, logger: logger)
                if let nodeName { try await takeLease(nodeName, connection, logger: logger) }
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        } catch let error as PostgresStoreError {
            backend.stop()
            throw StoreError.incompatible(error.description)
        } catch {
            backend.stop()
            throw StoreError.incompatible(
                "cannot open the PostgreSQL store \(url.redacted): \(PostgresStoreError.reason(error))")
        }
        return backend
    }

    private init(url: PostgresStoreURL, nodeName: String?, logger: Logger) throws {
        let tls = try url.tls()
        let clientTLS = try url.clientTLS()
        self.logger = logger
        self.nodeName = nodeName
        var clientConfiguration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: clientTLS)
        clientConfiguration.options.maximumConnections = 8
        clientConfiguration.options.connectTimeout = .seconds(5)
        client = PostgresClient(configuration: clientConfiguration, backgroundLogger: Self.driverLogger(logger))
        var connectionConfiguration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: tls)
        connectionConfiguration.options.connectTimeout = .init(Self.connectTimeout)
        self.connectionConfiguration = connectionConfiguration
        let client = client
        runTask = Task { await client.run() }
    }

    deinit {
        runTask.cancel()
        // Released without `writerStopped()`: closed on a task that keeps it until then.
        if let connection { Task { try? await connection.close() } }
    }

    /// Stops the pool.
    public func stop() {
        runTask.cancel()
    }

    // MARK: - Writes

    public func transaction(_ body: (PostgresTransaction) throws -> Void) throws {
        let connection = try writeConnection()
        let tx = PostgresTransaction(connection: connection, logger: logger, timeout: Self.statementTimeout)
        do {
            try tx.execute("BEGIN")
            try body(tx)
            try tx.flush()
            try tx.notifyChanged(node: node)
            try tx.execute("COMMIT")
        } catch {
            // A connection that cannot roll back (lost, the server restarted, a statement still
            // running past its time) is dropped and made again for the next transaction.
            if error is PostgresStoreError {
                // Timed out or lost: no ROLLBACK on it.
                dropConnection()
                lost(failureReason(error))
            } else if connection.isClosed || (try? tx.execute("ROLLBACK")) == nil {
                // (A ROLLBACK sent on a connection the server closed may never be answered.)
                dropConnection()
                lost(failureReason(error))
            }
            throw error
        }
        if reportedLost {
            reportedLost = false
            health.reached()
        }
    }

    /// postgres-nio's own logger: warnings and above only, so an outage is not one `info` line per
    /// connect attempt (the writer logs the loss and the return once each).
    static func driverLogger(_ logger: Logger) -> Logger {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        return quiet
    }

    /// The server is unreachable: reads stop waiting long for it.
    private func lost(_ reason: String) {
        reportedLost = true
        health.lost(reason)
    }

    public func failureReason(_ error: any Error) -> String {
        if case .unavailable(let why)? = error as? StoreError { return why }
        if let e = error as? StoreError { return e.description }
        return PostgresStoreError.reason(error)
    }

    public func verifyLocation() -> String? { nil }

    public func writerStopped() {
        dropConnection()
        runTask.cancel()
    }

    /// The writer's connection, made again when it was lost; while attempts back off, the last
    /// attempt's failure at once.
    private func writeConnection() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if connection != nil { dropConnection() }
        if let reason = backoff.refusal() { throw StoreError.unavailable(reason) }
        let configuration = connectionConfiguration
        let id = nextConnectionID
        nextConnectionID += 1
        let logger = logger
        do {
            // A connection made after the wait gave up is closed (postgres-nio requires it).
            let closeLate: @Sendable (PostgresConnection) -> Void = { late in Task { try? await late.close() } }
            let made = try BlockingBridge.wait(timeout: Self.connectTimeout + .seconds(1), late: closeLate) {
                try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id,
                    logger: Self.driverLogger(logger)
                ).get()
            }
            connection = made
            let failed = backoff.succeeded()
            if failed > 0 { logger.debug("PostgreSQL connection made", metadata: ["failedAttempts": "\(failed)"]) }
            return made
        } catch {
            let reason = failureReason(error)
            backoff.failed(reason)
            lost(reason)
            logger.debug(
                "PostgreSQL connection failed",
                metadata: [
                    "error": "\(reason)", "attempt": "\(backoff.failures)",
                    "nextAttemptIn": "\(ReconnectBackoff.delay(afterFailures: backoff.failures))",
                ])
            throw StoreError.unavailable(reason)
        }
    }

    private func dropConnection() {
        guard let connection else { return }
        self.connection = nil
        // Waited for: postgres-nio requires a connection to be closed before it is released
        // (the task keeps it until then, even past the timeout).
        _ = try? BlockingBridge.wait(timeout: .seconds(5)) { try await connection.close() }
    }

    // MARK: - Reads

    /// The rows of one read through the pool, within ``statementTimeout``.
    func read(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let client = client
        let logger = logger
        // While the server is known to be unreachable the pool only queues the read: fail fast.
        let outage = health.outageReason
        let limit = outage == nil ? Self.readTimeout : Self.outageReadTimeout
        do {
            let rows = try await withThrowingTaskGroup(of: [PostgresRow]?.self) { group in
                group.addTask { try await client.query(query, logger: logger).collect() }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                defer { group.cancelAll() }
                guard let rows = try await group.next(), let rows else {
                    throw PostgresStoreError.timeout(limit)
                }
                return rows
            }
            if outage != nil { health.reached() }
            return rows
        } catch let error as StoreError {
            throw error
        } catch {
            let reason = PostgresStoreError.reason(error)
            if let outage, case .timeout? = error as? PostgresStoreError { throw StoreError.unavailable(outage) }
            // A pooled connection that did not answer, or was lost: the next reads do not wait long.
            if PostgresStoreError.isConnectionLevel(error) { health.lost(reason) }
            throw StoreError.unavailable(reason)
        }
    }
}
