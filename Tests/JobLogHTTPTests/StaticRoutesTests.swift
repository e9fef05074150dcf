import Hummingbird
import HummingbirdTesting
import Testing

@testable import JobLogHTTP

/// The web UI's files: served with ETags and 304s, HTML with the CSP.
@Suite struct StaticRoutesTests {
    @Test func indexAndAssetsWithETagAndCSP() async throws {
        let f = try HTTPFixture()
        try await f.app().test(.router) { client in
            let index = try #require(WebAssets.files["index.html"])
            try await client.execute(uri: "/", method: .get, headers: HTTPFixture.auth) { response in
                #expect(response.status == .ok)
                #expect(response.text == index.text)
                #expect(response.headers[.eTag] == index.etag)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let csp = try #require(response.headers[.contentSecurityPolicy])
                #expect(csp.contains("script-src 'self'"))
                #expect(!csp.contains("unsafe-inline"))
            }
            var conditional = HTTPFixture.auth
            conditional[.ifNoneMatch] = index.etag
            try await client.execute(uri: "/", method: .get, headers: conditional) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            for (name, asset) in WebAssets.files where name != "index.html" {
                try await client.execute(uri: "/assets/\(name)", method: .get, headers: HTTPFixture.auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == asset.contentType)
                    #expect(response.headers[.eTag] == asset.etag)
                    #expect(response.body.readableBytes == asset.size)
                }
            }
            try await client.execute(uri: "/assets/nothing.js", method: .get, headers: HTTPFixture.auth) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func pageAndAssetsStayUnder100KB() {
        let total = WebAssets.files.values.reduce(0) { $0 + $1.size }
        #expect(total < 100_000, "GET / plus its assets: \(total) bytes")
    }
}
