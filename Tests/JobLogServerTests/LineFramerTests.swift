import NIOCore
import NIOEmbedded
import Testing

@testable import JobLogServer

/// The framer fed byte by byte and in every split: lines come out whole, over-long ones as one marker.
@Suite struct LineFramerTests {
    func frames(_ input: [UInt8], max: Int = 16, chunk: Int) throws -> [String] {
        let channel = EmbeddedChannel(handler: LineFramer(maxLineBytes: max))
        var i = 0
        while i < input.count {
            let end = min(input.count, i + chunk)
            try channel.writeInbound(ByteBuffer(bytes: input[i..<end]))
            i = end
        }
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        var out: [String] = []
        while let batch = try channel.readInbound(as: [Frame].self) {
            for f in batch {
                switch f {
                case .line(let b): out.append(String(buffer: b))
                case .tooLong: out.append("<too long>")
                }
            }
        }
        _ = try? channel.finish()
        return out
    }

    @Test func splitsInEveryChunking() throws {
        let input = Array("a\nbb\r\n\nccc\n0123456789abcdefXYZ\nok\nlast".utf8)
        for chunk in 1...input.count {
            #expect(
                try frames(input, chunk: chunk) == ["a", "bb", "", "ccc", "<too long>", "ok", "last"], "chunk \(chunk)")
        }
    }

    @Test func longLineWithoutNewlineIsDroppedOnce() throws {
        let input = Array(repeating: UInt8(ascii: "x"), count: 100) + Array("\nafter\n".utf8)
        #expect(try frames(input, chunk: 7) == ["<too long>", "after"])
        #expect(try frames(Array(repeating: UInt8(ascii: "y"), count: 40), chunk: 5) == ["<too long>"])
    }
}
