import Foundation
import Hummingbird
import HummingbirdTesting
import JobLogJSON
import Testing

@testable import JobLogHTTP

/// `/api/admin/events`: live events as SSE, `Last-Event-ID` replay without gap or duplicate,
/// keep-alive comments.
@Suite struct EventStreamTests {
    static let auth = ["Authorization": "Bearer \(HTTPFixture.token.value)"]

    @Test func liveEventsAfterReplayWithoutGapOrDuplicate() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun(finish: false)
        let logs = try await f.call(.getLogs, [("jobRunId", .string("\(id)")), ("afterId", .string("0"))])
        guard case .array(let entries)? = logs.objectValue?["logs"] else { throw TestFailure("no logs") }
        let ids = entries.compactMap { $0.objectValue?["id"]?.stringValue }
        #expect(ids.count == 6, "the stage's own entry and five levels")
        try await f.app(keepAlive: .milliseconds(300)).test(.live) { client in
            let port = try #require(client.port)
            // Resume after the second entry: the other three are replayed, then live ones follow.
            var headers = Self.auth
            headers["Last-Event-ID"] = ids[1]
            let stream = try RawHTTPStream(
                port: port, request: RawHTTPStream.get("/api/admin/events?jobRunId=\(id)", headers: headers))
            #expect(stream.read { $0.contains("id: \(ids[5])\n") })
            #expect(stream.text.hasPrefix("HTTP/1.1 200"))
            #expect(stream.text.lowercased().contains("content-type: text/event-stream"))
            #expect(!stream.text.contains("id: \(ids[1])\n"))
            try await f.call(.info, [("jobRunId", .string("\(id)")), ("message", .string("live one"))])
            try await f.call(.finishRun, [("jobRunId", .string("\(id)")), ("status", .string("SUCCESS"))])
            #expect(stream.read { $0.contains("event: run.finished") })
            #expect(stream.text.contains("live one"))
            let logIDs = stream.text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map {
                String($0.dropFirst(4))
            }
            #expect(logIDs.count == Set(logIDs).count, "no duplicate")
            #expect(Array(logIDs.prefix(4)) == Array(ids[2...5]), "replayed in order")
            #expect(logIDs.count == 5)
            #expect(!stream.text.contains("\"subscription\""))
            // The data of a log event is the socket event's params.
            #expect(
                stream.text.contains("event: log\nid: \(logIDs[4])\ndata: {\"jobRunId\":\"\(id)\",\"type\":\"log\""))
            #expect(stream.read { $0.contains(": keep-alive\n\n") })
        }
    }

    @Test func badParamsAre400() async throws {
        let f = try HTTPFixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/admin/events?level=loud", method: .get, headers: HTTPFixture.auth) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/admin/events?jobRunId=x", method: .get, headers: HTTPFixture.auth) {
                #expect($0.status == .badRequest)
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
