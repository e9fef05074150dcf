import JobLogModel
import Logging
import Synchronization

/// The subscriptions of one connection, and how to write to it.
final class ConnectionWatches: Sendable {
    private let hub: WatchHub
    private let write: @Sendable ([UInt8]) async throws -> Void
    private let logger: Logger
    /// At most this many log entries a second per subscription (nil: no limit; the socket's).
    private let logRate: Int?
    private let framing: EventFraming
    private let ids = Mutex<Set<UInt64>>([])
    /// The bytes all of this connection's subscriptions hold, bounded together.
    private let bytes = WatchBytes()
    /// At most this many subscriptions per connection.
    static let maxPerConnection = 64

    init(
        hub: WatchHub, logger: Logger, logRate: Int? = nil, framing: EventFraming = .lines,
        write: @escaping @Sendable ([UInt8]) async throws -> Void
    ) {
        self.hub = hub
        self.logger = logger
        self.logRate = logRate
        self.framing = framing
        self.write = write
    }

    /// Subscribes; returns the subscription and the action that starts delivery
    /// (run once the `watch` response is written, so events follow it). Nil past the limit.
    func watch(_ filter: Subscription.Filter, minLevel: LogLevel) -> (Subscription, @Sendable () -> Void)? {
        guard ids.withLock({ $0.count }) < Self.maxPerConnection else { return nil }
        let sub = hub.subscribe(filter, minLevel: minLevel, connectionBytes: bytes)
        ids.withLock { _ = $0.insert(sub.id) }
        let (write, logRate, framing) = (self.write, self.logRate, self.framing)
        return (sub, { Task { await sub.deliver(to: write, framing: framing, logRate: logRate) } })
    }

    /// Ends one of this connection's subscriptions; false when it is not one of them.
    func unwatch(_ id: UInt64) -> Bool {
        guard ids.withLock({ $0.remove(id) }) != nil else { return false }
        hub.unsubscribe(id)
        return true
    }

    /// The connection closed: end all of its subscriptions.
    func closeAll() {
        let all = ids.withLock { s -> Set<UInt64> in
            let copy = s
            s.removeAll()
            return copy
        }
        for id in all { hub.unsubscribe(id) }
        if !all.isEmpty {
            logger.debug("subscriptions ended", metadata: ["count": "\(all.count)", "remaining": "\(hub.count)"])
        }
    }
}
