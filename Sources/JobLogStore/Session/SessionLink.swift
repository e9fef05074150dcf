/// One connection's use of a client session, from its `hello` on (protocol version 2).
///
/// The connection numbers its messages after `hello` 1, 2, 3, … (``WriteOp/seq``); the writer
/// learns the session's committed count when it applies the `hello` (``base``), so a message's
/// number in the session is `base + seq`. The connection never waits for that answer.
///
/// Mutable state is touched by the writer thread only.
public final class SessionLink: @unchecked Sendable {
    /// The client-chosen session id.
    public let id: String
    /// The number of the oldest message the client still holds.
    public let firstSeq: Int64
    /// The session's committed count when the `hello` was applied; nil until then (or when it failed).
    var base: Int64?
    /// A write of this connection's session could not be stored (or was held back): nothing more
    /// of it is applied until the client says `hello` again, so what is stored stays gap-free.
    var broken = false
    /// The writer's entry of this session, valid while the book's generation is `entryGeneration`
    /// (saves a lookup by id per message).
    var entry: SessionBook.Entry?
    var entryGeneration = -1

    public init(id: String, firstSeq: Int64) {
        self.id = id
        self.firstSeq = firstSeq
    }
}
