import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import HummingbirdWebSocket
import JobLogJSON
import Testing

@testable import JobLogHTTP

/// `/api/admin/ws`: watch and unwatch; answers in order; events are the socket event's params.
@Suite struct WebSocketTests {
    /// Opens `/api/admin/ws` with the token; `body` writes with `outbound` and reads each message as JSON with `next`.
    static func webSocket(
        _ client: some TestClientProtocol,
        _ body: @escaping @Sendable (WebSocketOutboundWriter, () async throws -> JSONValue?) async throws -> Void
    ) async throws {
        let config = WebSocketClientConfiguration(additionalHeaders: HTTPFixture.auth)
        try await client.ws("/api/admin/ws", configuration: config) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            try await body(outbound) {
                guard case .text(let t)? = try await messages.next() else { return nil }
                return try JSONParser.parse(Array(t.utf8))
            }
        }
    }

    @Test func watchAnswersThenStreamsEvents() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun(finish: false)
        try await f.app().test(.live) { client in
            try await Self.webSocket(client) { outbound, next in
                try await outbound.write(.text(#"{"watch":{"jobRunId":"\#(id)","level":"info"}}"#))
                try await outbound.write(.text(#"{"watch":{"jobName":"user-sync"}}"#))
                let first = try await next()?.objectValue?["subscription"]?.stringValue
                let second = try await next()?.objectValue?["subscription"]?.stringValue
                #expect(first != nil && second != nil && first != second)
                try await outbound.write(.text(#"{"unwatch":"\#(second ?? "")"}"#))
                #expect(try await next()?.objectValue?["unwatched"]?.stringValue == second)
                try await outbound.write(.text(#"{"watch":{"level":"loud"}}"#))
                #expect(try await next()?.objectValue?["error"]?.objectValue?["code"] == .int(-32602))
                try await outbound.write(.text("not json"))
                #expect(try await next()?.objectValue?["error"] != nil)

                try await f.call(.debug, [("jobRunId", .string("\(id)")), ("message", .string("hidden"))])
                try await f.call(.info, [("jobRunId", .string("\(id)")), ("message", .string("shown"))])
                try await f.call(.finishRun, [("jobRunId", .string("\(id)")), ("status", .string("SUCCESS"))])
                var types: [String] = []
                while let event = try await next()?.objectValue {
                    #expect(event["subscription"]?.stringValue == first)
                    #expect(event["jobRunId"]?.stringValue == "\(id)")
                    let type = event["type"]?.stringValue ?? "?"
                    types.append(type)
                    if type == "log" { #expect(event["log"]?.objectValue?["message"]?.stringValue == "shown") }
                    if type == "run.finished" { break }
                }
                #expect(types == ["log", "run.finished"])
            }
        }
    }

    /// A live view gets at most its log rate; the rest is counted in `lagged`, nothing else is lost.
    @Test func pastTheLogRateEntriesAreToldAsLagged() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun(finish: false)
        let entries = 1000
        try await f.app(liveLogRate: 10).test(.live) { client in
            try await Self.webSocket(client) { outbound, next in
                try await outbound.write(.text(#"{"watch":{"jobRunId":"\#(id)","level":"info"}}"#))
                #expect(try await next()?.objectValue?["subscription"] != nil)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<entries {
                        group.addTask {
                            try await f.call(.info, [("jobRunId", .string("\(id)")), ("message", .string("e\(i)"))])
                        }
                    }
                    try await group.waitForAll()
                }
                try await f.call(.finishRun, [("jobRunId", .string("\(id)")), ("status", .string("SUCCESS"))])
                var (logs, dropped, lagged) = (0, 0, 0)
                while let event = try await next()?.objectValue {
                    switch event["type"]?.stringValue {
                    case "log": logs += 1
                    case "lagged":
                        lagged += 1
                        dropped += Int(event["dropped"]?.int64Value ?? -1_000_000)
                        #expect(event["resumeAfterId"] != nil)
                    default: break
                    }
                    if event["type"]?.stringValue == "run.finished" { break }
                }
                #expect(lagged >= 1)
                #expect(logs + dropped == entries)
                // 10 a second, a second's worth at once: far fewer than were written.
                #expect(logs < entries / 2)
            }
        }
    }

    @Test func upgradeNeedsTheToken() async throws {
        let f = try HTTPFixture()
        _ = try await f.app().test(.live) { client in
            await #expect(throws: (any Error).self) {
                try await client.ws("/api/admin/ws") { _, _, _ in }
            }
        }
    }
}
