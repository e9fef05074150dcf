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

/// The token rules: Bearer header, cookie, `?token=` redirect, 401s, `--http-auth none`, the token file.
@Suite struct AccessTests {
    @Test func everythingButHealthzNeedsTheToken() async throws {
        let f = try HTTPFixture()
        let id = try await f.seedRun()
        try await f.app().test(.router) { client in
            for uri in [
                "/api/admin/jobs", "/api/admin/jobs/\(id)", "/api/admin/jobs/\(id)/logs", "/metrics",
                "/api/admin/events", "/assets/app.css",
            ] {
                for headers: HTTPFields in [
                    [:], [.authorization: "Bearer wrong"], [.authorization: "Basic \(HTTPFixture.token.value)"],
                    [.cookie: "joblogd_token=nope"],
                ] {
                    try await client.execute(uri: uri, method: .get, headers: headers) { response in
                        #expect(response.status == .unauthorized, "\(uri) \(headers)")
                        #expect(response.headers[.wwwAuthenticate] == "Bearer")
                        let error = response.json?.objectValue?["error"]?.objectValue
                        #expect(error?["code"] == .int(RPCErrorCode.notPermitted))
                    }
                }
            }
            // A page load without the token gets the sign-in page, not data.
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.text.contains("Sign in"))
                #expect(response.headers[.contentSecurityPolicy] != nil)
            }
        }
    }

    @Test func bearerAndCookieBothWork() async throws {
        let f = try HTTPFixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/admin/jobs", method: .get, headers: HTTPFixture.auth) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: "/api/admin/jobs", method: .get, headers: [.cookie: "joblogd_token=\(HTTPFixture.token.value)"]
            ) { #expect($0.status == .ok) }
        }
    }

    @Test func tokenInTheQuerySetsTheCookieAndRedirects() async throws {
        let f = try HTTPFixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/?token=\(HTTPFixture.token.value)", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/")
                let cookie = response.headers[.setCookie] ?? ""
                #expect(cookie.hasPrefix("joblogd_token=\(HTTPFixture.token.value);"))
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Strict"))
            }
            try await client.execute(uri: "/api/admin/jobs?limit=5&token=\(HTTPFixture.token.value)", method: .get) {
                #expect($0.status == .seeOther)
                #expect($0.headers[.location] == "/api/admin/jobs?limit=5")
            }
            try await client.execute(uri: "/?token=wrong", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
            }
        }
    }

    @Test func authNoneLetsEveryoneIn() async throws {
        let f = try HTTPFixture()
        try await f.app(token: nil).test(.router) { client in
            try await client.execute(uri: "/api/admin/jobs", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func tokenFileIsCreated0600WithHexAndReadBack() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/joblog-token-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sub/http-token"
        let token = try AccessToken.loadOrCreate(path: path)
        #expect(token.value.count == 64)
        #expect(token.value.allSatisfy { $0.isHexDigit })
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(try AccessToken.loadOrCreate(path: path) == token)
    }

    @Test func tokenFileIsReadTrimmedAndRefusedWhenShortOrUnreadable() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/joblog-token-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/http-token"
        try " \t0123456789abcdef0123\r\n\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try AccessToken.loadOrCreate(path: path) == AccessToken("0123456789abcdef0123"))
        try "short\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: AccessTokenError.self) { try AccessToken.loadOrCreate(path: path) }
        // Longer than 4 KiB: refused, not cut short.
        try String(repeating: "a", count: 5000).write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: AccessTokenError.self) { try AccessToken.loadOrCreate(path: path) }
        try String(repeating: "a", count: 4096).write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try AccessToken.loadOrCreate(path: path).value.count == 4096)
        // A directory where the file should be: an error naming the path, not a new token.
        let directory = dir + "/a-directory"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let error = #expect(throws: AccessTokenError.self) { try AccessToken.loadOrCreate(path: directory) }
        #expect(error?.description.hasPrefix("http token file \(directory): ") == true)
    }

    @Test func hexDigits() {
        #expect(String(decoding: AccessToken.hexDigits([0x00, 0x0F, 0xA5, 0xFF]), as: UTF8.self) == "000fa5ff")
    }

    @Test func comparisonIsExact() {
        let t = AccessToken("0123456789abcdef0123")
        #expect(t.matches("0123456789abcdef0123"))
        #expect(!t.matches("0123456789abcdef012"))
        #expect(!t.matches("0123456789abcdef01234"))
        #expect(!t.matches("1123456789abcdef0123"))
        #expect(!t.matches(""))
    }

    @Test func addressParsing() {
        #expect(HTTPConfiguration.parseAddress("127.0.0.1:7370")! == ("127.0.0.1", 7370))
        #expect(HTTPConfiguration.parseAddress("[::1]:0")! == ("::1", 0))
        #expect(HTTPConfiguration.parseAddress("localhost") == nil)
        #expect(HTTPConfiguration.parseAddress("h:70000") == nil)
    }
}
