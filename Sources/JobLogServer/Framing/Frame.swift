import NIOCore

/// One unit of input on a connection.
enum Frame: Sendable {
    /// A complete line, without its `\n` (a trailing `\r` removed).
    case line(ByteBuffer)
    /// A line longer than the limit was skipped.
    case tooLong
}
