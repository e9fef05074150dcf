import HTTPTypes
import Hummingbird

/// The web UI: `/` (index.html) and `/assets/NAME`, from the files embedded in the binary,
/// with ETags (`If-None-Match` answers `304`) and, on HTML, the Content-Security-Policy.
enum StaticRoutes {
    /// Only the daemon's own scripts, styles and connections; no inline script, no other origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static var htmlHeaders: HTTPFields {
        [
            .contentSecurityPolicy: contentSecurityPolicy,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
    }

    static func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/") { request, _ in try serve("index.html", request) }
        router.get("/index.html") { request, _ in try serve("index.html", request) }
        router.get("/assets/{name}") { request, context in
            try serve(context.parameters.require("name"), request)
        }
    }

    static func serve(_ name: String, _ request: Request) throws -> Response {
        guard name != "index.html" || request.uri.path != "/assets/index.html", let asset = WebAssets.files[name]
        else { throw APIError.notFound(request.uri.path) }
        var headers: HTTPFields = [.eTag: asset.etag, .cacheControl: "no-cache"]
        if asset.contentType.hasPrefix("text/html") { headers.append(contentsOf: htmlHeaders) }
        if let match = request.headers[.ifNoneMatch],
            match == "*" || match.split(separator: ",").contains(where: { $0.filter { $0 != " " } == asset.etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text)))
    }
}
