import Synchronization

/// Where the server reports what it does, for metrics (the HTTP service's `/metrics`).
/// Called on event loops and the writer thread: implementations must be quick and never block.
public protocol ServerStatsSink: Sendable {
    /// `count` requests or notifications of `method` (a known method name, or `unknown`).
    func message(_ method: String, count: Int)
    /// From receiving a write to its commit, as the client waits for it.
    func committed(after latency: Duration)
    /// An answer that was `store unavailable`.
    func storeError()
    /// A subscriber fell behind and lost `dropped` events.
    func lagged(_ dropped: Int64)
}

/// The server's hook for a ``ServerStatsSink``; set once, before serving.
public final class ServerStats: Sendable {
    private let sink = Mutex<(any ServerStatsSink)?>(nil)

    init() {}

    /// Installs the sink (replacing any earlier one).
    public func install(_ sink: any ServerStatsSink) { self.sink.withLock { $0 = sink } }

    var current: (any ServerStatsSink)? { sink.withLock { $0 } }
}
