import Foundation
import JobLogModel
import JobLogStore
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import JobLogServer

/// The socket handler in a test channel (no socket, no daemon process) over a real store in a
/// temporary directory: answers in request order, batches, half-close, and reading paused and
/// resumed with the socket's writability.
@Suite struct ConnectionChannelHandlerTests {
    /// A real store and the server's shared services, removed after `body`.
    private func withHandler(_ body: (NIOAsyncTestingChannel, JobLogServer, ReadSpy) async throws -> Void)
        async throws
    {
        try await withTemporaryStore("cch") { store, dir in
            let server = JobLogServer(
                configuration: ServerConfiguration(socketPath: dir.appendingPathComponent("s").path, version: "test"),
                store: store, logger: Logger(label: "test"))
            let spy = ReadSpy()
            let channel = NIOAsyncTestingChannel()
            let services = server.services
            try await channel.testingEventLoop.executeInContext {
                // Built on the channel's loop, where they live.
                try channel.pipeline.syncOperations.addHandler(spy)
                try channel.pipeline.syncOperations.addHandler(LineFramer(maxLineBytes: 1 << 20))
                try channel.pipeline.syncOperations.addHandler(
                    ConnectionChannelHandler(services: services, connectionID: 1))
            }
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
            try await body(channel, server, spy)
            _ = try? await channel.finish(acceptAlreadyClosed: true)
        }
    }

    /// The next `count` answer lines the handler writes (one write may hold several).
    private func answers(_ count: Int, from channel: NIOAsyncTestingChannel) async throws -> [[String: Any]] {
        var lines: [String] = []
        var pending = ""
        while lines.count < count {
            var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            pending += buffer.readString(length: buffer.readableBytes) ?? ""
            while let newline = pending.firstIndex(of: "\n") {
                lines.append(String(pending[..<newline]))
                pending = String(pending[pending.index(after: newline)...])
            }
        }
        return try lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            if let array = object as? [Any] { return ["batch": array] }
            return object as? [String: Any] ?? [:]
        }
    }

    private func send(_ lines: [String], _ channel: NIOAsyncTestingChannel) async throws {
        try await channel.writeInbound(ByteBuffer(string: lines.map { $0 + "\n" }.joined()))
    }

    private static let start = #"{"jsonrpc":"2.0","id":1,"method":"startRun","params":{"jobName":"embedded"}}"#
    private static func info(_ n: Int) -> String {
        #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"1","message":"line \#(n)"}}"#
    }

    @Test func answersComeInRequestOrderAndAReadSeesEarlierWrites() async throws {
        try await withHandler { channel, _, _ in
            try await send(
                [
                    Self.start, Self.info(1), Self.info(2), Self.info(3),
                    #"{"jsonrpc":"2.0","id":2,"method":"getLogs","params":{"jobRunId":"1"}}"#,
                    #"{"jsonrpc":"2.0","id":3,"method":"ping"}"#,
                    #"{"jsonrpc":"2.0","id":4,"method":"info","params":{"jobRunId":"1","message":"acked"}}"#,
                ], channel)
            let got = try await answers(4, from: channel)
            #expect(got.map { $0["id"] as? Int } == [1, 2, 3, 4])
            // The read runs once the writes before it are committed (a later one committed with
            // them may show too).
            let logs = (got[1]["result"] as? [String: Any])?["logs"] as? [[String: Any]] ?? []
            #expect(logs.prefix(3).map { $0["message"] as? String } == ["line 1", "line 2", "line 3"])
            #expect((got[3]["result"] as? [String: Any])?["id"] != nil, "an acknowledged log answers its id")
        }
    }

    @Test func aBatchIsAnsweredAsOneArrayOfItsRequestsInOrder() async throws {
        try await withHandler { channel, _, _ in
            try await send(
                [
                    "[" + Self.start + "," + Self.info(1) + #",{"jsonrpc":"2.0","id":"b","method":"ping"}"#
                        + #",{"jsonrpc":"2.0","id":"c","method":"noSuchMethod"}]"#
                ], channel)
            let got = try await answers(1, from: channel)
            let batch = got[0]["batch"] as? [[String: Any]] ?? []
            #expect(batch.count == 3, "the notification has no answer")
            // Members are applied in array order: the notification after startRun finds its run.
            try await send([#"{"jsonrpc":"2.0","id":9,"method":"getRun","params":{"jobRunId":"1"}}"#], channel)
            let result = try await answers(1, from: channel)[0]["result"] as? [String: Any]
            #expect(((result?["run"] as? [String: Any])?["logCounts"] as? [String: Any])?["info"] as? Int == 1)
            #expect(batch.map { "\($0["id"] ?? "")" } == ["1", "b", "c"])
            #expect((batch[2]["error"] as? [String: Any])?["code"] as? Int == -32601)
        }
    }

    @Test func endOfInputClosesOnlyOnceEverythingSentIsCommitted() async throws {
        try await withHandler { channel, server, _ in
            try await send([Self.start] + (1...500).map(Self.info), channel)
            _ = try await answers(1, from: channel)
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            try await channel.closeFuture.get()
            let run = try await server.services.store.run(1)
            #expect(run?.logCounts.info == 500, "the connection closed after its notifications were committed")
        }
    }

    @Test func readingPausesWhileTheSocketIsNotWritableAndResumesAfter() async throws {
        try await withHandler { channel, _, spy in
            try await send([#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#], channel)
            _ = try await answers(1, from: channel)
            let before = spy.reads
            channel.isWritable = false
            channel.pipeline.fireChannelWritabilityChanged()
            try await channel.testingEventLoop.executeInContext {}
            #expect(spy.reads == before, "no read is asked for while the peer does not read its answers")
            channel.isWritable = true
            channel.pipeline.fireChannelWritabilityChanged()
            try await channel.testingEventLoop.executeInContext {}
            #expect(spy.reads == before + 1, "reading resumes once the socket drains")
        }
    }

    private static func request(_ id: Int, _ method: String, _ params: String = "{}") -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#
    }

    @Test func answersKeepRequestOrderWhateverCompletesFirst() async throws {
        try await withHandler { channel, _, _ in
            // A read (waits for the commit before it and runs on the reader pool), an immediate
            // answer, an error answered at once, and a write answered after its commit.
            try await send(
                [
                    Self.start, Self.request(2, "getRun", #"{"jobRunId":"1"}"#), Self.request(3, "ping"),
                    Self.request(4, "noSuchMethod"),
                    Self.request(5, "info", #"{"jobRunId":"1","message":"m"}"#),
                    Self.request(6, "listRuns"), Self.request(7, "getLogs", #"{"jobRunId":"1"}"#),
                ], channel)
            let got = try await answers(7, from: channel)
            #expect(got.map { $0["id"] as? Int } == [1, 2, 3, 4, 5, 6, 7])
            #expect((got[3]["error"] as? [String: Any])?["code"] as? Int == -32601)
            let logs = (got[6]["result"] as? [String: Any])?["logs"] as? [[String: Any]] ?? []
            #expect(logs.contains { $0["message"] as? String == "m" }, "the read after a write sees it")
        }
    }

    @Test func aBatchMixingNotificationsRequestsAndReadsAppliesAndAnswersInArrayOrder() async throws {
        try await withHandler { channel, _, _ in
            let members = [
                Self.start, Self.info(1),
                Self.request(2, "getLogs", #"{"jobRunId":"1"}"#),
                #"{"jsonrpc":"2.0","method":"noSuchMethod"}"#,
                Self.request(3, "info", #"{"jobRunId":"1","message":"acked"}"#),
                Self.info(2),
                Self.request(4, "getRun", #"{"jobRunId":"1"}"#),
                #"{"jsonrpc":"2.0","id":5}"#,
            ]
            try await send(["[" + members.joined(separator: ",") + "]"], channel)
            let batch = try await answers(1, from: channel)[0]["batch"] as? [[String: Any]] ?? []
            #expect(batch.map { $0["id"] as? Int } == [1, 2, 3, 4, 5], "one answer per request, in array order")
            // The read sees the notification before it.
            let logs = (batch[1]["result"] as? [String: Any])?["logs"] as? [[String: Any]] ?? []
            #expect(logs.first?["message"] as? String == "line 1")
            #expect((batch[2]["result"] as? [String: Any])?["id"] != nil, "an acknowledged log answers its id")
            // The read after every write sees them all: two notifications and the request.
            let run = (batch[3]["result"] as? [String: Any])?["run"] as? [String: Any]
            #expect((run?["logCounts"] as? [String: Any])?["info"] as? Int == 3)
            #expect((batch[4]["error"] as? [String: Any])?["code"] as? Int == -32600, "no method: invalid request")
        }
    }

    @Test func aBatchOfOnlyNotificationsHasNoAnswer() async throws {
        try await withHandler { channel, _, _ in
            try await send([Self.start], channel)
            _ = try await answers(1, from: channel)
            try await send(["[" + Self.info(1) + "," + Self.info(2) + "]", Self.request(9, "ping")], channel)
            let got = try await answers(1, from: channel)
            #expect(got[0]["id"] as? Int == 9, "the next answer is the ping's, not an empty array")
        }
    }

    @Test func endOfInputClosesOnlyOnceEveryRequestIsAnswered() async throws {
        try await withHandler { channel, server, _ in
            // Input ends right after the requests: nothing is answered yet.
            try await send(
                [Self.start] + (1...200).map(Self.info) + [Self.request(2, "getLogs", #"{"jobRunId":"1"}"#)], channel)
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            let got = try await answers(2, from: channel)
            try await channel.closeFuture.get()
            #expect(got.map { $0["id"] as? Int } == [1, 2], "both answers were written before the close")
            let logs = (got[1]["result"] as? [String: Any])?["logs"] as? [[String: Any]] ?? []
            #expect(logs.count == 100, "the read saw the notifications before it (a page of 100)")
            #expect(try await server.services.store.run(1)?.logCounts.info == 200)
        }
    }

    @Test func readingPausesWhileTooManyAnswersAreOwedAndResumesOnceTheyAreWritten() async throws {
        try await withHandler { channel, _, spy in
            try await send([Self.start], channel)
            _ = try await answers(1, from: channel)
            let before = spy.reads
            // More requests in one burst than a connection may owe answers for: reading pauses
            // (every answer waits for the commit) and resumes, with one read, once they are written.
            let count = ConnectionChannelHandler.maxPendingResponses + 100
            try await send(
                (1...count).map { Self.request($0 + 1, "info", #"{"jobRunId":"1","message":"m\#($0)"}"#) }, channel)
            let got = try await answers(count, from: channel)
            #expect(got.map { $0["id"] as? Int } == (1...count).map { $0 + 1 })
            try await channel.testingEventLoop.executeInContext {}
            #expect(spy.reads == before + 1, "reading resumed once the answers were written")
        }
    }
}

/// Counts the reads the handler asks the channel for (how it resumes after a pause).
final class ReadSpy: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer
    private let count = Mutex(0)

    var reads: Int { count.withLock { $0 } }

    func read(context: ChannelHandlerContext) {
        count.withLock { $0 += 1 }
        context.read()
    }
}
