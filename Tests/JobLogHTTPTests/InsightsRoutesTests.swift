import Foundation
import Hummingbird
import HummingbirdTesting
import JobLogJSON
import JobLogProtocol
import Testing

@testable import JobLogHTTP

/// The job-insight routes: each body is the socket method's `result`, each error the socket's
/// error object with its status.
@Suite struct InsightsRoutesTests {
    @Test func everyInsightsRouteAnswersTheMethodsResult() async throws {
        let f = try HTTPFixture()
        let first = try await f.seedRun()
        let second = try await f.seedRun()
        let cases: [(String, JobLogProtocol.Method, [(String, JSONValue)])] = [
            ("/api/admin/jobs/\(second)/stages", .getStages, [("jobRunId", .string("\(second)"))]),
            ("/api/admin/jobs/\(second)/compare", .compareRuns, [("jobRunId", .string("\(second)"))]),
            (
                "/api/admin/jobs/\(second)/compare?baseline=\(first)", .compareRuns,
                [("jobRunId", .string("\(second)")), ("baselineRunId", .string("\(first)"))]
            ),
            ("/api/admin/job-names", .listJobs, []),
            (
                "/api/admin/job-names?jobName=user&limit=5", .listJobs,
                [("jobName", .string("user")), ("limit", .int(5))]
            ),
            ("/api/admin/job-names/user-sync/stats", .getJobStats, [("jobName", .string("user-sync"))]),
            (
                "/api/admin/job-names/user-sync/stats?last=1", .getJobStats,
                [("jobName", .string("user-sync")), ("last", .int(1))]
            ),
        ]
        try await f.app().test(.router) { client in
            for (uri, method, params) in cases {
                let expected = JSONWriter.string(try await f.call(method, params))
                try await client.execute(uri: uri, method: .get, headers: HTTPFixture.auth) { response in
                    #expect(response.status == .ok, "\(uri)")
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(response.text == expected, "\(uri)")
                }
            }
            // A name with a space and a slash, percent-encoded in the path.
            let odd = try await f.call(.startRun, [("jobName", .string("nightly a/b"))])
            let oddID = try #require(odd.objectValue?["jobRunId"])
            try await f.call(.finishRun, [("jobRunId", oddID), ("status", .string("SUCCESS"))])
            let expected = JSONWriter.string(try await f.call(.getJobStats, [("jobName", .string("nightly a/b"))]))
            try await client.execute(
                uri: "/api/admin/job-names/nightly%20a%2Fb/stats", method: .get, headers: HTTPFixture.auth
            ) { response in
                #expect(response.status == .ok)
                #expect(response.text == expected)
            }
            try await client.execute(uri: "/api/admin/jobs/\(second)/stages", method: .get, headers: HTTPFixture.auth) {
                response in
                let stages = response.json?.objectValue?["stages"]?.arrayValue
                #expect(stages?.count == 1)
                #expect(stages?.first?.objectValue?["stage"] == .string("Syncing users"))
            }
        }
    }

    @Test func insightsErrorsCarryTheSocketsErrorObjectAndStatus() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun()
        let cases: [(String, HTTPResponse.Status, Int)] = [
            ("/api/admin/jobs/999999/stages", .notFound, RPCErrorCode.unknownRun),
            ("/api/admin/jobs/999999/compare", .notFound, RPCErrorCode.unknownRun),
            ("/api/admin/jobs/\(id)/compare?baseline=999999", .notFound, RPCErrorCode.unknownRun),
            ("/api/admin/jobs/\(id)/compare?baseline=x", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/jobs/abc/stages", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/job-names?limit=0", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/job-names/user-sync/stats?last=0", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/job-names/user-sync/stats?last=1001", .badRequest, RPCErrorCode.invalidParams),
        ]
        try await f.app().test(.router) { client in
            for (uri, status, code) in cases {
                try await client.execute(uri: uri, method: .get, headers: HTTPFixture.auth) { response in
                    #expect(response.status == status, "\(uri)")
                    let error = response.json?.objectValue?["error"]?.objectValue
                    #expect(error?["code"] == .int(code), "\(uri): \(response.text)")
                }
            }
            for uri in ["/api/admin/jobs/\(id)/stages", "/api/admin/job-names", "/api/admin/job-names/x/stats"] {
                try await client.execute(uri: uri, method: .post, headers: HTTPFixture.auth) { response in
                    #expect(response.status == .methodNotAllowed, "\(uri)")
                }
            }
            try await client.execute(uri: "/api/admin/job-names", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}
