import GRDB
import JobLogJSON
import JobLogModel

/// The stalled and slow flags, on the writer thread inside its transaction.
extension BatchWriter {
    /// Sets a flag the liveness reaper decided on; a flag already set is left alone.
    func apply(_ flag: RunFlag, _ state: RunState, at now: Timestamp, _ db: Database) throws {
        switch flag {
        case .stalled(let since, let message):
            // Moved since the reaper looked: not stalled.
            guard state.record.stalledSince == nil, state.record.lastHeartbeatAt <= since else { return }
            state.record.stalledSince = since
            _ = try insertLog(state, .warning, message, "{}", at: now, db)
            emit(state.record, .stalled(since: since), at: now)
        case .slow(let message):
            guard !state.record.slow else { return }
            state.record.slow = true
            _ = try insertLog(state, .warning, message, "{}", at: now, db)
            emit(state.record, .slow, at: now)
        }
    }

    /// A stalled run moved: the flag goes, with an info entry and an `unstalled` event.
    func unstall(_ state: RunState, at now: Timestamp, _ db: Database) throws {
        guard let since = state.record.stalledSince else { return }
        state.record.stalledSince = nil
        let message = "Progress resumed after \(DurationText.format(ms: now.milliseconds - since.milliseconds))"
        _ = try insertLog(state, .info, message, "{}", at: now, db)
        emit(state.record, .unstalled, at: now)
    }
}
