import Synchronization

/// A run's cancel request as the job sees it: a flag to poll between items, the reason,
/// and a stream that yields the reason once the request arrives.
public final class CancelSignal: Sendable {
    private struct State {
        var reason: String?
        var graceMs: Int64?
        var continuations: [AsyncStream<String>.Continuation] = []
        var handlers: [@Sendable (String) -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// True once someone asked the run to stop (`cancelRun`).
    public var isRequested: Bool { state.withLock { $0.reason != nil } }

    /// The reason given with the request; nil before it.
    public var reason: String? { state.withLock { $0.reason } }

    /// The grace the canceller gave before the daemon sends SIGTERM (nil before the request).
    public var graceMs: Int64? { state.withLock { $0.graceMs } }

    /// Yields the reason once, when the request arrives (at once when it already has), then ends.
    public var requests: AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let now = state.withLock { s -> String? in
            if s.reason == nil { s.continuations.append(continuation) }
            return s.reason
        }
        if let now {
            continuation.yield(now)
            continuation.finish()
        }
        return stream
    }

    /// Calls `handler` (on any thread) when the request arrives, at once when it already has.
    public func onRequest(_ handler: @escaping @Sendable (String) -> Void) {
        let now = state.withLock { s -> String? in
            if s.reason == nil { s.handlers.append(handler) }
            return s.reason
        }
        if let now { handler(now) }
    }

    /// Records the request (the first one counts) and tells everyone waiting.
    public func fire(reason: String, graceMs: Int64? = nil) {
        let waiting = state.withLock { s -> ([AsyncStream<String>.Continuation], [@Sendable (String) -> Void])? in
            guard s.reason == nil else { return nil }
            s.reason = reason
            s.graceMs = graceMs
            defer {
                s.continuations = []
                s.handlers = []
            }
            return (s.continuations, s.handlers)
        }
        guard let (continuations, handlers) = waiting else { return }
        for c in continuations {
            c.yield(reason)
            c.finish()
        }
        for h in handlers { h(reason) }
    }
}
