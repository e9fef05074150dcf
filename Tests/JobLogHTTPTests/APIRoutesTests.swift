import Foundation
import Hummingbird
import HummingbirdTesting
import JobLogJSON
import JobLogProtocol
import Testing

@testable import JobLogHTTP

/// Every API route: its body is the socket method's `result` (the same router), its errors
/// the socket's error object with the status the issue gives.
@Suite struct APIRoutesTests {
    @Test func everyRouteAnswersTheMethodsResult() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun()
        let cases: [(String, JobLogProtocol.Method, [(String, JSONValue)])] = [
            ("/api/admin/jobs/\(id)", .getRun, [("jobRunId", .string("\(id)"))]),
            ("/api/admin/jobs/\(id)/progress", .getProgress, [("jobRunId", .string("\(id)"))]),
            ("/api/admin/jobs/\(id)/outcome", .getOutcome, [("jobRunId", .string("\(id)"))]),
            ("/api/admin/jobs/\(id)/logs", .getLogs, [("jobRunId", .string("\(id)"))]),
            (
                "/api/admin/jobs/\(id)/logs?level=error&limit=100", .getLogs,
                [("jobRunId", .string("\(id)")), ("level", .string("error")), ("limit", .int(100))]
            ),
            (
                "/api/admin/jobs/\(id)/logs?afterId=0&limit=2", .getLogs,
                [("jobRunId", .string("\(id)")), ("afterId", .string("0")), ("limit", .int(2))]
            ),
            ("/api/admin/jobs", .listRuns, []),
            (
                "/api/admin/jobs?jobName=user-sync&status=SUCCESS&limit=5", .listRuns,
                [("jobName", .string("user-sync")), ("status", .string("SUCCESS")), ("limit", .int(5))]
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
            try await client.execute(
                uri: "/api/admin/jobs/\(id)/logs?level=error", method: .get, headers: HTTPFixture.auth
            ) {
                let logs = $0.json?.objectValue?["logs"]
                guard case .array(let entries)? = logs else {
                    Issue.record("no logs")
                    return
                }
                #expect(entries.count == 1)
            }
        }
    }

    @Test func healthzNeedsNoToken() async throws {
        let f = try HTTPFixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text == #"{"status":"ok","version":"test","protocolVersion":1}"#)
            }
        }
    }

    @Test func errorsCarryTheSocketsErrorObjectAndStatus() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun()
        let cases: [(String, HTTPResponse.Status, Int)] = [
            ("/api/admin/jobs/999999", .notFound, RPCErrorCode.unknownRun),
            ("/api/admin/jobs/999999/logs", .notFound, RPCErrorCode.unknownRun),
            ("/api/admin/jobs/999999/progress", .notFound, RPCErrorCode.unknownRun),
            ("/api/admin/jobs/abc", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/jobs/\(id)/logs?level=loud", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/jobs/\(id)/logs?limit=0", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/jobs/\(id)/logs?limit=99999999", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/jobs/\(id)/logs?limit=ten", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/jobs/\(id)/logs?afterId=x", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/jobs?status=DONE", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/jobs?beforeId=-1", .badRequest, RPCErrorCode.invalidParams),
            ("/api/admin/nothing", .notFound, RPCErrorCode.methodNotFound),
            ("/api/admin/jobs/\(id)/other", .notFound, RPCErrorCode.methodNotFound),
            ("/api/admin/ws", .badRequest, RPCErrorCode.invalidRequest),
        ]
        try await f.app().test(.router) { client in
            for (uri, status, code) in cases {
                try await client.execute(uri: uri, method: .get, headers: HTTPFixture.auth) { response in
                    #expect(response.status == status, "\(uri)")
                    let error = response.json?.objectValue?["error"]?.objectValue
                    #expect(error?["code"] == .int(code), "\(uri): \(response.text)")
                    #expect(error?["message"]?.stringValue != nil)
                }
            }
            // The socket's own error object, unchanged.
            let socketError = await f.session.call(.getRun, JSONObject([("jobRunId", .string("999999"))])).result
            guard case .failure(let e) = socketError else {
                Issue.record("no error")
                return
            }
            try await client.execute(uri: "/api/admin/jobs/999999", method: .get, headers: HTTPFixture.auth) {
                #expect($0.text == JSONWriter.string(.object(JSONObject([("error", e.json)]))))
            }
        }
    }

    @Test func onlyGetAndHead() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun()
        try await f.app().test(.router) { client in
            for uri in [
                "/api/admin/jobs", "/api/admin/jobs/\(id)/logs", "/healthz", "/metrics", "/", "/api/admin/events",
            ] {
                for method in [HTTPRequest.Method.post, .put, .delete, .patch] {
                    try await client.execute(uri: uri, method: method, headers: HTTPFixture.auth) { response in
                        #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                        #expect(response.headers[.allow] == "GET, HEAD")
                        #expect(response.json?.objectValue?["error"] != nil)
                    }
                }
            }
            try await client.execute(uri: "/nowhere", method: .post, headers: HTTPFixture.auth) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/api/admin/jobs/\(id)", method: .head, headers: HTTPFixture.auth) {
                #expect($0.status == .ok)
                #expect($0.body.readableBytes == 0)
            }
        }
    }

    @Test func noCORSHeaders() async throws {
        let f = try HTTPFixture()
        try await f.app().test(.router) { client in
            var headers = HTTPFixture.auth
            headers[.origin] = "http://evil.example"
            try await client.execute(uri: "/api/admin/jobs", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
            try await client.execute(uri: "/api/admin/jobs", method: .options, headers: headers) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    /// A store that cannot be read answers `-32005`; over HTTP that is `503` with the same object.
    /// (An open SQLite reader keeps reading a file replaced under it, so the failure is raised
    /// here by a route rather than by breaking the database.)
    @Test func storeUnavailableIs503() async throws {
        let router = Router()
        router.get("/broken") { _, _ -> Response in throw APIError(.storeUnavailable("the database could not be read"))
        }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/broken", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(
                    response.text
                        == #"{"error":{"code":-32005,"message":"store unavailable","data":{"reason":"the database could not be read"}}}"#
                )
            }
        }
        #expect(APIError(.shuttingDown).status == .serviceUnavailable)
        #expect(APIError(.unknownRun(1)).status == .notFound)
        #expect(APIError(.invalidParams(field: "limit", reason: "out of range")).status == .badRequest)
    }
}
