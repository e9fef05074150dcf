/// Hands chunks (bytes, frames) from producers (a subscription's delivery task, a keep-alive timer) to the one
/// task that writes them to an HTTP connection.
///
/// ``put(_:)`` returns only once the writer has written the chunk, so a reader that stops
/// reading stops the producers: a subscription's own bounded queue then overflows into a
/// `lagged` event, exactly as on the socket. Each producer has at most one chunk in flight,
/// so what waits here is bounded by the number of producers. After ``finish()`` every `put`
/// throws.
struct Handoff<Chunk: Sendable>: Sendable {
    struct Closed: Error {}

    typealias Item = (chunk: Chunk, done: CheckedContinuation<Void, any Error>)

    let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation

    init() {
        (stream, continuation) = AsyncStream<Item>.makeStream()
    }

    /// Hands `chunk` to the writer and waits until it is written.
    func put(_ chunk: Chunk) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            if case .terminated = continuation.yield((chunk, done)) { done.resume(throwing: Closed()) }
        }
    }

    /// Writes every chunk with `write` until it fails or ``finish()`` is called; then fails
    /// whatever still waits.
    func drain(_ write: (Chunk) async throws -> Void) async {
        var iterator = stream.makeAsyncIterator()
        while let item = await iterator.next() {
            do {
                try await write(item.chunk)
                item.done.resume()
            } catch {
                item.done.resume(throwing: error)
                break
            }
        }
        continuation.finish()
        while let item = await iterator.next() { item.done.resume(throwing: Closed()) }
    }

    /// No more chunks: the writer stops after the current one.
    func finish() { continuation.finish() }
}
