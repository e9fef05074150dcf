import Foundation
import Hummingbird
import HummingbirdTesting
import JobLogJSON
import JobLogProtocol
import Testing

@testable import JobLogHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// `POST /api/admin/jobs/{id}/cancel`: the socket's `cancelRun` behind the token, the origin
/// check and a JSON body; its answers are the socket's.
@Suite struct CancelRouteTests {
    /// A process to own the runs cancelled here: an escalation that fires signals this `sleep`,
    /// never the test process (which runs made through the fixture's session would name).
    final class Owner {
        let process = Process()

        init() throws {
            process.executableURL = URL(fileURLWithPath: "/bin/sleep")
            process.arguments = ["100000"]  // killed by deinit; long enough for a starved test run
            try process.run()
        }

        var pid: Int { Int(process.processIdentifier) }

        deinit {
            // SIGKILL: the test process may hand its children SIGTERM blocked.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A RUNNING run owned by `owner`.
    static func running(_ f: HTTPFixture, _ owner: Owner, name: String = "cancellable") async throws -> String {
        let started = try await f.call(.startRun, [("jobName", .string(name)), ("pid", .int(owner.pid))])
        return try #require(started.objectValue?["jobRunId"]?.stringValue)
    }

    static func run(_ f: HTTPFixture, _ id: String) async throws -> JSONObject {
        try #require(try await f.call(.getRun, [("jobRunId", .string(id))]).objectValue?["run"]?.objectValue)
    }

    /// What the web UI sends: the token, its own origin (HummingbirdTesting's host is `localhost`), JSON.
    static var browser: HTTPFields {
        var h = HTTPFixture.auth
        h[.origin] = "http://localhost"
        h[OriginCheck.secFetchSite] = "same-origin"
        h[.contentType] = "application/json"
        return h
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func errorCode(_ response: TestResponse) -> JSONValue? {
        response.json?.objectValue?["error"]?.objectValue?["code"]
    }

    @Test func cancelAnswersTheSocketsRunAndRecordsTheRequest() async throws {
        let f = try HTTPFixture()
        let owner = try Owner()
        let id = try await Self.running(f, owner)
        let plain = try await Self.running(f, owner, name: "from-curl")
        try await f.app().test(.router) { client in
            try await client.execute(
                uri: "/api/admin/jobs/\(id)/cancel", method: .post, headers: Self.browser,
                body: Self.body(#"{"reason":"from the browser","graceMs":86400000}"#)
            ) { response in
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.headers[.contentType] == "application/json")
                let run = response.json?.objectValue?["run"]?.objectValue
                #expect(run?["id"] == .string(id))
                #expect(run?["status"] == .string("RUNNING"))
                #expect(run?["cancelRequestedAt"]?.stringValue != nil, "\(response.text)")
                #expect(run?["cancelReason"] == .string("from the browser"))
            }
            // curl: no Origin, no Sec-Fetch-Site, an empty body, a charset parameter.
            var headers = HTTPFixture.auth
            headers[.contentType] = "Application/JSON; charset=utf-8"
            try await client.execute(uri: "/api/admin/jobs/\(plain)/cancel", method: .post, headers: headers) {
                #expect($0.status == .ok, "\($0.text)")
                #expect($0.json?.objectValue?["run"]?.objectValue?["cancelRequestedAt"]?.stringValue != nil)
            }
        }
        // Stored as the socket stores it: the entry, the requester (the daemon's uid), the grace.
        let stored = try await Self.run(f, id)
        #expect(stored["cancelRequestedAt"]?.stringValue != nil)
        let logs = try await f.call(.getLogs, [("jobRunId", .string(id))]).objectValue?["logs"]
        guard case .array(let entries)? = logs else {
            Issue.record("no logs")
            return
        }
        let entry = entries.compactMap(\.objectValue).first {
            $0["message"] == .string("Cancel requested: from the browser")
        }
        #expect(entry?["level"] == .string("warning"))
        let context = entry?["context"]?.objectValue
        #expect(context?["by"] == .int(getuid()))
        #expect(context?["graceMs"] == .int(86_400_000))
        try await f.call(.finishRun, [("jobRunId", .string(id)), ("status", .string("CANCELLED"))])
        try await f.call(.finishRun, [("jobRunId", .string(plain)), ("status", .string("CANCELLED"))])
    }

    @Test func anotherOriginIsRefused403() async throws {
        let f = try HTTPFixture()
        let owner = try Owner()
        let id = try await Self.running(f, owner)
        let refusals: [HTTPFields] = [
            [.origin: "http://evil.example"],
            [.origin: "http://localhost:8080"],  // another port on the same host: same site, not same origin
            [.origin: "https://localhost"],
            [.origin: "null"],
            [OriginCheck.secFetchSite: "cross-site"],
            [OriginCheck.secFetchSite: "same-site"],
            [.origin: "http://localhost", OriginCheck.secFetchSite: "cross-site"],
        ]
        try await f.app().test(.router) { client in
            for extra in refusals {
                var headers = HTTPFixture.auth
                headers[.contentType] = "application/json"
                headers.append(contentsOf: extra)
                try await client.execute(
                    uri: "/api/admin/jobs/\(id)/cancel", method: .post, headers: headers,
                    body: Self.body(#"{"reason":"csrf"}"#)
                ) { response in
                    #expect(response.status == .forbidden, "\(extra)")
                    #expect(Self.errorCode(response) == .int(RPCErrorCode.notPermitted), "\(response.text)")
                    #expect(response.json?.objectValue?["error"]?.objectValue?["message"] != nil)
                    #expect(response.headers[.accessControlAllowOrigin] == nil)
                }
            }
            // The same request from the daemon's own origin goes through.
            try await client.execute(
                uri: "/api/admin/jobs/\(id)/cancel", method: .post, headers: Self.browser,
                body: Self.body(#"{"graceMs":86400000}"#)
            ) { #expect($0.status == .ok, "\($0.text)") }
        }
        // With --http-auth none the origin is all that stands: still checked.
        try await f.app(token: nil).test(.router) { client in
            try await client.execute(
                uri: "/api/admin/jobs/\(id)/cancel", method: .post,
                headers: [.origin: "http://evil.example", .contentType: "application/json"], body: Self.body("{}")
            ) { #expect($0.status == .forbidden) }
        }
        try await f.call(.finishRun, [("jobRunId", .string(id)), ("status", .string("CANCELLED"))])
    }

    @Test func refusedRequestsCancelNothing() async throws {
        let f = try HTTPFixture()
        let owner = try Owner()
        let id = try await Self.running(f, owner)
        try await f.app().test(.router) { client in
            let uri = "/api/admin/jobs/\(id)/cancel"
            let json: HTTPFields = [.contentType: "application/json", .origin: "http://localhost"]
            // No token, a wrong one, the token in the query (only page loads may carry it there).
            for (u, headers) in [
                (uri, json), (uri, json + [.authorization: "Bearer wrong"]),
                (uri + "?token=\(HTTPFixture.token.value)", json),
            ] {
                try await client.execute(uri: u, method: .post, headers: headers, body: Self.body("{}")) {
                    #expect($0.status == .unauthorized, "\(u) \(headers)")
                    #expect($0.headers[.wwwAuthenticate] == "Bearer")
                    #expect(Self.errorCode($0) == .int(RPCErrorCode.notPermitted))
                    #expect($0.headers[.setCookie] == nil)
                }
            }
            // Not declared JSON: what a plain HTML form can send, and nothing at all.
            for type in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", nil] {
                var headers = Self.browser
                headers[.contentType] = type
                try await client.execute(uri: uri, method: .post, headers: headers, body: Self.body("{}")) {
                    #expect($0.status == .unsupportedMediaType, "\(type ?? "none")")
                    #expect(Self.errorCode($0) == .int(RPCErrorCode.invalidRequest))
                }
            }
        }
        #expect(try await Self.run(f, id)["cancelRequestedAt"] == .null)
        try await f.call(.finishRun, [("jobRunId", .string(id)), ("status", .string("SUCCESS"))])
    }

    @Test func errorsAreTheSocketsWithTheirStatus() async throws {
        let f = try HTTPFixture()
        let owner = try Owner()
        let id = try await Self.running(f, owner)
        let finished = try await Self.running(f, owner, name: "done")
        try await f.call(.finishRun, [("jobRunId", .string(finished)), ("status", .string("SUCCESS"))])
        let long = String(repeating: "r", count: 1025)
        let cases: [(String, String, HTTPResponse.Status, Int)] = [
            ("999999", "{}", .notFound, RPCErrorCode.unknownRun),
            (finished, "{}", .conflict, RPCErrorCode.runFinished),
            ("abc", "{}", .badRequest, RPCErrorCode.invalidParams),
            (id, #"{"reason":"\#(long)"}"#, .badRequest, RPCErrorCode.invalidParams),
            (id, #"{"reason":7}"#, .badRequest, RPCErrorCode.invalidParams),
            (id, #"{"graceMs":-1}"#, .badRequest, RPCErrorCode.invalidParams),
            (id, #"{"graceMs":86400001}"#, .badRequest, RPCErrorCode.invalidParams),
            (id, #"{"graceMs":"soon"}"#, .badRequest, RPCErrorCode.invalidParams),
            (id, #"{"reason":"#, .badRequest, RPCErrorCode.parseError),
            (id, #"["stop"]"#, .badRequest, RPCErrorCode.invalidRequest),
        ]
        try await f.app().test(.router) { client in
            for (run, body, status, code) in cases {
                try await client.execute(
                    uri: "/api/admin/jobs/\(run)/cancel", method: .post, headers: Self.browser, body: Self.body(body)
                ) { response in
                    #expect(response.status == status, "\(run) \(body.prefix(40)): \(response.text)")
                    #expect(Self.errorCode(response) == .int(code), "\(run) \(body.prefix(40)): \(response.text)")
                }
            }
            // A finished run: the socket's own error object, unchanged.
            guard
                case .failure(let e) = await f.session.call(
                    .cancelRun, JSONObject([("jobRunId", .string(finished))])
                ).result
            else {
                Issue.record("no error")
                return
            }
            try await client.execute(
                uri: "/api/admin/jobs/\(finished)/cancel", method: .post, headers: Self.browser, body: Self.body("{}")
            ) { #expect($0.text == JSONWriter.string(.object(JSONObject([("error", e.json)])))) }
            // The body limit: 413 with its own error, whatever is in it.
            let big = #"{"reason":""# + String(repeating: " ", count: CancelRoute.maxBodyBytes) + #""}"#
            try await client.execute(
                uri: "/api/admin/jobs/\(id)/cancel", method: .post, headers: Self.browser, body: Self.body(big)
            ) { response in
                #expect(response.status == .contentTooLarge)
                let error = response.json?.objectValue?["error"]?.objectValue
                #expect(error?["code"] == .int(RPCErrorCode.invalidRequest))
                #expect(error?["data"]?.objectValue?["maxBodyBytes"] == .int(CancelRoute.maxBodyBytes))
            }
        }
        #expect(try await Self.run(f, id)["cancelRequestedAt"] == .null, "no refused request was stored")
        try await f.call(.finishRun, [("jobRunId", .string(id)), ("status", .string("SUCCESS"))])
    }

    @Test func theCancelPathTakesPostOnlyAndEveryOtherPathNoPost() async throws {
        let f = try HTTPFixture()
        let owner = try Owner()
        let id = try await Self.running(f, owner)
        try await f.app().test(.router) { client in
            for method in [HTTPRequest.Method.get, .head, .put, .delete, .patch, .options] {
                try await client.execute(uri: "/api/admin/jobs/\(id)/cancel", method: method, headers: Self.browser) {
                    #expect($0.status == .methodNotAllowed, "\(method)")
                    #expect($0.headers[.allow] == "POST")
                    #expect($0.headers[.accessControlAllowOrigin] == nil)
                }
            }
            for uri in ["/api/admin/jobs/\(id)", "/api/admin/jobs/\(id)/logs", "/api/admin/jobs", "/"] {
                try await client.execute(uri: uri, method: .post, headers: Self.browser, body: Self.body("{}")) {
                    #expect($0.status == .methodNotAllowed, "\(uri)")
                    #expect($0.headers[.allow] == "GET, HEAD")
                }
            }
        }
        #expect(try await Self.run(f, id)["cancelRequestedAt"] == .null)
        try await f.call(.finishRun, [("jobRunId", .string(id)), ("status", .string("SUCCESS"))])
    }

    @Test func originChecks() {
        func request(_ fields: HTTPFields, authority: String? = "127.0.0.1:7370") -> Request {
            Request(
                head: HTTPRequest(
                    method: .post, scheme: nil, authority: authority, path: "/api/admin/jobs/1/cancel",
                    headerFields: fields),
                body: RequestBody(buffer: ByteBuffer()))
        }
        #expect(OriginCheck.refusal(request([:])) == nil)
        #expect(OriginCheck.refusal(request([.origin: "http://127.0.0.1:7370"])) == nil)
        #expect(OriginCheck.refusal(request([.origin: "HTTP://127.0.0.1:7370"])) == nil)
        #expect(OriginCheck.refusal(request([OriginCheck.secFetchSite: "same-origin"])) == nil)
        #expect(OriginCheck.refusal(request([OriginCheck.secFetchSite: "none"])) == nil)
        #expect(OriginCheck.refusal(request([.origin: "http://127.0.0.1:7371"])) != nil)
        #expect(OriginCheck.refusal(request([.origin: "http://127.0.0.1"])) != nil)
        #expect(OriginCheck.refusal(request([.origin: "http://localhost:7370"])) != nil)
        #expect(OriginCheck.refusal(request([.origin: "http://127.0.0.1:7370"], authority: nil)) != nil)
        #expect(OriginCheck.refusal(request([OriginCheck.secFetchSite: "cross-site"])) != nil)
    }
}

extension HTTPFields {
    fileprivate static func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
        var out = lhs
        out.append(contentsOf: rhs)
        return out
    }
}
