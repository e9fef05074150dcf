import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits the byte stream into lines of at most `maxLineBytes`, emitting one
/// `[Frame]` per read burst (so the connection handles a burst as a batch).
///
/// Unlike NIO's `LineBasedFrameDecoder` it has a limit and survives it: a longer
/// line becomes one `.tooLong` frame, its bytes are discarded up to the next
/// `\n`, and the connection goes on. Memory per connection is bounded by the limit.
///
/// Threading: runs on the channel's event loop, moves bytes only.
final class LineFramer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = [Frame]

    private let maxLineBytes: Int
    private var partial: ByteBuffer?
    /// Discarding the rest of an over-long line.
    private var skipping = false
    /// Event-loop confined: no dynamic exclusivity check per line.
    @exclusivity(unchecked) private var frames: [Frame] = []

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        while buffer.readableBytes > 0 {
            let newline = Self.firstNewline(buffer)
            if skipping {
                guard let newline else {
                    buffer.moveReaderIndex(to: buffer.writerIndex)
                    break
                }
                buffer.moveReaderIndex(to: newline + 1)
                skipping = false
                continue
            }
            if let newline {
                let length = newline - buffer.readerIndex
                let pending = partial?.readableBytes ?? 0
                if pending + length > maxLineBytes {
                    frames.append(.tooLong)
                    partial = nil
                } else if var line = partial {
                    partial = nil
                    if var piece = buffer.getSlice(at: buffer.readerIndex, length: length) {
                        line.writeBuffer(&piece)
                    }
                    emit(line)
                } else {
                    if let line = buffer.getSlice(at: buffer.readerIndex, length: length) { emit(line) }
                }
                buffer.moveReaderIndex(to: newline + 1)
            } else {
                let pending = partial?.readableBytes ?? 0
                if pending + buffer.readableBytes > maxLineBytes {
                    frames.append(.tooLong)
                    partial = nil
                    skipping = true
                    buffer.moveReaderIndex(to: buffer.writerIndex)
                } else {
                    var accumulated = partial ?? context.channel.allocator.buffer(capacity: buffer.readableBytes)
                    partial = nil  // keep the buffer uniquely referenced: appends stay in place
                    accumulated.writeBuffer(&buffer)
                    partial = accumulated
                }
            }
        }
    }

    /// The index of the first `\n` in the readable bytes: `memchr` (vectorised), not a byte loop.
    private static func firstNewline(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress, let found = memchr(base, 0x0A, bytes.count) else { return nil }
            return buffer.readerIndex + (UnsafeRawPointer(found) - base)
        }
    }

    private func emit(_ line: ByteBuffer) {
        var line = line
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        frames.append(.line(line))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushFrames(context: context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent {
            finishPartial()
            flushFrames(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finishPartial()
        flushFrames(context: context)
        context.fireChannelInactive()
    }

    /// A last line without `\n` before EOF is still a line.
    private func finishPartial() {
        if let line = partial, !skipping { emit(line) }
        partial = nil
        skipping = false
    }

    private func flushFrames(context: ChannelHandlerContext) {
        guard !frames.isEmpty else { return }
        let batch = frames
        frames = []
        context.fireChannelRead(wrapInboundOut(batch))
    }
}
