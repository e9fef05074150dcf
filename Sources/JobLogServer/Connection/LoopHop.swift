import NIOCore

/// The way back to an object confined to an event loop from any thread (a commit on the writer
/// thread, a read on the reader pool): the one place the connection code uses `NIOLoopBound`.
/// Made where it is used, never stored in `Value` (it holds `Value` strongly).
struct LoopHop<Value: AnyObject>: Sendable {
    private let bound: NIOLoopBound<Value>
    private let eventLoop: any EventLoop

    /// On `eventLoop`, the loop `value` is confined to.
    init(_ value: Value, on eventLoop: any EventLoop) {
        bound = NIOLoopBound(value, eventLoop: eventLoop)
        self.eventLoop = eventLoop
    }

    /// Runs `body` with the value on its loop, later (never inline, even when called on the loop).
    func hop(_ body: @escaping @Sendable (Value) -> Void) {
        let bound = self.bound
        eventLoop.execute { body(bound.value) }
    }

    /// Runs `body` with the value on its loop: now when called there, else later.
    func run(_ body: @escaping @Sendable (Value) -> Void) {
        if eventLoop.inEventLoop {
            body(bound.value)
        } else {
            hop(body)
        }
    }
}
