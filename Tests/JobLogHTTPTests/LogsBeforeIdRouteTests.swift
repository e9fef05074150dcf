import Foundation
import Hummingbird
import HummingbirdTesting
import JobLogJSON
import JobLogProtocol
import Testing

@testable import JobLogHTTP

/// `GET /api/admin/jobs/{id}/logs?beforeId=`: the socket's `getLogs` with `beforeId`, the page
/// the web UI's "Older" button reads.
@Suite struct LogsBeforeIdRouteTests {
    @Test func beforeIdIsTheSocketsPageBack() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun()
        let all = try await f.call(.getLogs, [("jobRunId", .string("\(id)")), ("afterId", .int(0))])
        guard case .array(let entries)? = all.objectValue?["logs"], entries.count >= 5 else {
            Issue.record("no logs: \(all)")
            return
        }
        let ids = entries.compactMap { $0.objectValue?["id"]?.stringValue }
        let last = ids[ids.count - 1]
        try await f.app().test(.router) { client in
            for (query, params) in [
                ("beforeId=\(last)&limit=2", [("beforeId", JSONValue.string(last)), ("limit", .int(2))]),
                ("beforeId=\(last)&level=warning", [("beforeId", .string(last)), ("level", .string("warning"))]),
                ("beforeId=\(ids[0])", [("beforeId", .string(ids[0]))]),
            ] {
                let expected = JSONWriter.string(try await f.call(.getLogs, [("jobRunId", .string("\(id)"))] + params))
                try await client.execute(
                    uri: "/api/admin/jobs/\(id)/logs?\(query)", method: .get, headers: HTTPFixture.auth
                ) { response in
                    #expect(response.status == .ok, "\(query)")
                    #expect(response.text == expected, "\(query)")
                }
            }
            try await client.execute(
                uri: "/api/admin/jobs/\(id)/logs?beforeId=\(last)&limit=2", method: .get, headers: HTTPFixture.auth
            ) { response in
                guard case .array(let page)? = response.json?.objectValue?["logs"] else {
                    Issue.record("no logs")
                    return
                }
                let got = page.compactMap { $0.objectValue?["id"]?.stringValue }
                #expect(got == Array(ids.dropLast().suffix(2)), "the two entries before the last, in id order")
            }
            for query in ["beforeId=\(last)&afterId=0", "beforeId=0", "beforeId=x", "beforeId=-3"] {
                try await client.execute(
                    uri: "/api/admin/jobs/\(id)/logs?\(query)", method: .get, headers: HTTPFixture.auth
                ) { response in
                    #expect(response.status == .badRequest, "\(query)")
                    let error = response.json?.objectValue?["error"]?.objectValue
                    #expect(error?["code"] == .int(RPCErrorCode.invalidParams), "\(query): \(response.text)")
                    #expect(error?["data"]?.objectValue?["field"] == .string("beforeId"), "\(query)")
                }
            }
        }
    }
}
