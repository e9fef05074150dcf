import NIOCore
import Synchronization

/// The open connections, so that shutdown can stop their input and the limit can be enforced.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [UInt64: any Channel] = [:]
        var nextID: UInt64 = 0
        var closingInputs = false
    }

    private let state = Mutex(State())

    init() {}

    var count: Int { state.withLock { $0.channels.count } }

    /// Registers a channel unless `limit` channels are open (check and add are one step,
    /// so concurrent accepts cannot overshoot); returns its id, or nil when full.
    func admit(_ channel: any Channel, limit: Int) -> UInt64? {
        let admitted = state.withLock { s -> (UInt64, Bool)? in
            guard s.channels.count < limit else { return nil }
            s.nextID += 1
            s.channels[s.nextID] = channel
            return (s.nextID, s.closingInputs)
        }
        guard let (id, closing) = admitted else { return nil }
        if closing { channel.close(mode: .input, promise: nil) }
        return id
    }

    func remove(_ id: UInt64) {
        _ = state.withLock { $0.channels.removeValue(forKey: id) }
    }

    /// Graceful shutdown: every connection stops reading; what was read is still answered.
    func closeInputs() {
        let channels = state.withLock { s -> [any Channel] in
            s.closingInputs = true
            return Array(s.channels.values)
        }
        for c in channels {
            c.close(mode: .input).whenFailure { _ in c.close(promise: nil) }
        }
    }

    /// Waits until every connection has closed; false on timeout.
    func waitUntilEmpty(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while count > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Closes every connection at once.
    func closeAll() {
        let channels = state.withLock { Array($0.channels.values) }
        for c in channels { c.close(promise: nil) }
    }
}
