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
    @Test func watchAnswersThenStreamsEvents() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun(finish: false)
        try await f.app().test(.live) { client in
            let config = WebSocketClientConfiguration(additionalHeaders: HTTPFixture.auth)
            try await client.ws("/api/admin/ws", configuration: config) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                func next() async throws -> JSONValue? {
                    guard case .text(let t)? = try await messages.next() else { return nil }
                    return try JSONParser.parse(Array(t.utf8))
                }
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

    @Test func upgradeNeedsTheToken() async throws {
        let f = try HTTPFixture()
        _ = try await f.app().test(.live) { client in
            await #expect(throws: (any Error).self) {
                try await client.ws("/api/admin/ws") { _, _, _ in }
            }
        }
    }
}
