import JobLogModel

/// The writer's view of client sessions: each session's committed count (`applied`), kept in
/// memory and written to the `sessions` table in the same transaction as the effects, one row
/// update per session per transaction.
///
/// A message numbered at or below its session's count (a resend racing a commit) is skipped; a
/// request among them is answered as the first time, from the last few answers kept in memory.
///
/// Owned by the writer thread.
final class SessionBook {
    /// What to do with one write of a session.
    enum Admission {
        /// Not a session write.
        case plain
        /// Apply it as message `seq` of `entry`.
        case apply(Entry, seq: Int64)
        /// Already applied: answer with this outcome, change nothing.
        case skip(WriteOutcome)
        /// Not applied (the connection's session is not started or broken).
        case refuse(WriteOutcome)
    }

    final class Entry {
        let id: String
        var applied: Int64
        var touchedAt: Int64
        /// Changed in the open transaction (listed in `dirty`).
        var isDirty = false
        /// The last answers to the session's requests, by message number.
        var answers: [(seq: Int64, outcome: WriteOutcome)] = []

        init(id: String, applied: Int64, touchedAt: Int64) {
            self.id = id
            self.applied = applied
            self.touchedAt = touchedAt
        }
    }

    static let answersKept = 8
    static let maxCached = 4096

    private var entries: [String: Entry] = [:]
    private var dirty: [Entry] = []
    /// Changes whenever entries are dropped from memory: links' cached entries are then stale.
    private var generation = 0

    /// Applies a `hello`: the session's count, at least `firstSeq - 1` (the client holds nothing
    /// older, so everything before is acknowledged). An unknown session starts there.
    func hello(_ link: SessionLink, at now: Int64, _ tx: some StoreTransaction) throws -> WriteOutcome {
        let entry = try self.entry(link.id, tx) ?? Entry(id: link.id, applied: 0, touchedAt: now)
        entries[link.id] = entry
        entry.applied = max(entry.applied, link.firstSeq - 1)
        entry.touchedAt = now
        link.base = entry.applied
        link.broken = false
        link.entry = entry
        link.entryGeneration = generation
        return .session(applied: entry.applied)
    }

    /// Decides whether a write is applied.
    func admit(_ op: WriteOp, _ tx: some StoreTransaction) throws -> Admission {
        guard let link = op.session else { return .plain }
        guard let base = link.base, !link.broken else {
            return .refuse(.failed(.unavailable("this connection's session lost a write; send hello again")))
        }
        if case .barrier = op.command { return .plain }
        let seq = base + op.seq
        let entry: Entry
        if link.entryGeneration == generation, let cached = link.entry {
            entry = cached
        } else {
            // A session forgotten (swept) while a connection still uses it continues where it is.
            entry = try self.entry(link.id, tx) ?? Entry(id: link.id, applied: seq - 1, touchedAt: 0)
            entries[link.id] = entry
            link.entry = entry
            link.entryGeneration = generation
        }
        if seq <= entry.applied {
            return .skip(entry.answers.first { $0.seq == seq }?.outcome ?? Self.replayed(op.command))
        }
        return .apply(entry, seq: seq)
    }

    /// Records that message `seq` of `entry` is applied in the open transaction.
    func applied(_ entry: Entry, seq: Int64, outcome: WriteOutcome, isRequest: Bool, at now: Int64) {
        entry.applied = seq
        entry.touchedAt = now
        if !entry.isDirty {
            entry.isDirty = true
            dirty.append(entry)
        }
        guard isRequest else { return }
        if entry.answers.count >= Self.answersKept { entry.answers.removeFirst() }
        entry.answers.append((seq, outcome))
    }

    /// Marks a connection's session broken: one of its writes was not stored.
    func lost(_ op: WriteOp) {
        op.session?.broken = true
        if case .hello(let link) = op.command { link.broken = true }
    }

    /// Writes the count of every session changed in this transaction (one row each).
    func persist(_ tx: some StoreTransaction) throws {
        for entry in dirty {
            try tx.saveSession(StoredSession(id: entry.id, applied: entry.applied, touchedAt: entry.touchedAt))
        }
    }

    func committed() {
        for entry in dirty { entry.isDirty = false }
        dirty.removeAll(keepingCapacity: true)
        if entries.count > Self.maxCached {
            entries.removeAll()
            generation += 1
        }
    }

    /// The transaction failed: what memory holds may be ahead of the file; read it again.
    func rolledBack() {
        entries.removeAll()
        dirty.removeAll()
        generation += 1
    }

    /// Forgets the sessions untouched since `before` (ms since the epoch); returns how many rows went.
    func forget(before: Int64, _ tx: some StoreTransaction) throws -> Int64 {
        let n = try tx.forgetSessions(before: before)
        entries = entries.filter { $0.value.touchedAt >= before || $0.value.isDirty }
        generation += 1
        return n
    }

    private func entry(_ id: String, _ tx: some StoreTransaction) throws -> Entry? {
        if let e = entries[id] { return e }
        guard let stored = try tx.session(id) else { return nil }
        return Entry(id: id, applied: stored.applied, touchedAt: stored.touchedAt)
    }

    /// The answer to a replayed request whose first answer is no longer kept: `{}` for a write.
    private static func replayed(_ command: WriteCommand) -> WriteOutcome {
        switch command {
        case .log: .logID(0)
        default: .done
        }
    }
}
