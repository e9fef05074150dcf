import NIOCore
import Synchronization

/// The open connections, so that shutdown can stop their input and the limit can be enforced.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [UInt64: (channel: any Channel, uid: UInt32?)] = [:]
        var perUid: [UInt32: Int] = [:]
        var nextID: UInt64 = 0
        var closingInputs = false
    }

    private let state = Mutex(State())

    init() {}

    var count: Int { state.withLock { $0.channels.count } }

    /// Why a connection was refused.
    enum Refusal: Error {
        case full
        case uidFull(UInt32)
    }

    /// Registers a channel unless the limits are reached (check and add are one step, so
    /// concurrent accepts cannot overshoot); returns its id.
    ///
    /// Fairness: a uid other than root may hold at most `limits.perUid` connections, and the
    /// last `limits.reserved` connections are kept for the trusted uids (root, the daemon's user),
    /// so one user's idle connections cannot lock an administrator out.
    func admit(_ channel: any Channel, uid: UInt32?, limits: ConnectionLimits) -> Result<UInt64, Refusal> {
        let admitted = state.withLock { s -> Result<(UInt64, Bool), Refusal> in
            let trusted = uid.map { limits.trustedUids.contains($0) } ?? false
            let cap = trusted ? limits.total : max(1, limits.total - limits.reserved)
            guard s.channels.count < cap else { return .failure(.full) }
            if let uid, uid != 0 {
                guard s.perUid[uid, default: 0] < limits.perUid else { return .failure(.uidFull(uid)) }
                s.perUid[uid, default: 0] += 1
            }
            s.nextID += 1
            s.channels[s.nextID] = (channel, uid)
            return .success((s.nextID, s.closingInputs))
        }
        switch admitted {
        case .failure(let refusal): return .failure(refusal)
        case .success(let (id, closing)):
            if closing { channel.close(mode: .input, promise: nil) }
            return .success(id)
        }
    }

    func remove(_ id: UInt64) {
        state.withLock { s in
            guard let removed = s.channels.removeValue(forKey: id), let uid = removed.uid, uid != 0 else { return }
            let left = s.perUid[uid, default: 1] - 1
            s.perUid[uid] = left > 0 ? left : nil
        }
    }

    /// Graceful shutdown: every connection stops reading; what was read is still answered.
    func closeInputs() {
        let channels = state.withLock { s -> [any Channel] in
            s.closingInputs = true
            return s.channels.values.map(\.channel)
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
        let channels = state.withLock { $0.channels.values.map(\.channel) }
        for c in channels { c.close(promise: nil) }
    }
}

/// The connection limits: in all, per uid, and kept for the trusted uids.
struct ConnectionLimits: Sendable {
    var total: Int
    var perUid: Int
    var reserved: Int
    var trustedUids: Set<UInt32>
}
