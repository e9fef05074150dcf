import Hummingbird

/// The gate in front of every route, in this order: only GET and HEAD (`405` on a known path,
/// `404` elsewhere), except the one write, `POST /api/admin/jobs/{id}/cancel`, which takes POST
/// only; the token (`Authorization: Bearer`, the cookie, or `?token=` on a page load, which sets
/// the cookie and redirects without it; never `?token=` on the write); for the write, the origin
/// (``OriginCheck``, `403`); unknown paths as JSON `404`s.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    static var cookieName: String { "joblogd_token" }

    let token: AccessToken?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let path = request.uri.path
        let isWrite = AdminPaths.isWrite(path)
        if isWrite {
            guard request.method == .post else { throw APIError.methodNotAllowed(request.method, allow: "POST") }
        } else {
            guard request.method == .get || request.method == .head else {
                throw AdminPaths.isKnown(path) ? APIError.methodNotAllowed(request.method) : APIError.notFound(path)
            }
        }
        if let token, !AdminPaths.isPublic(path) {
            if !isWrite, let presented = request.uri.queryParameters["token"] {
                guard token.matches(presented) else { return try refuse(request, context) }
                return redirectSettingCookie(request, token)
            }
            guard Self.presented(request).map(token.matches) == true else { return try refuse(request, context) }
        }
        if isWrite, let reason = OriginCheck.refusal(request) { throw APIError.crossOrigin(reason) }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            throw APIError.notFound(path)
        }
    }

    /// The token a request carries: the bearer header first, then the cookie.
    static func presented(_ request: Request) -> Substring? {
        if let auth = request.headers[.authorization] {
            let prefix = "Bearer "
            if auth.count > prefix.count, auth.lowercased().hasPrefix("bearer ") {
                return auth.dropFirst(prefix.count)
            }
            return nil
        }
        return request.cookies[cookieName].map { Substring($0.value) }
    }

    private func refuse(_ request: Request, _ context: Context) throws -> Response {
        guard AdminPaths.isPage(request.uri.path) else { throw APIError.unauthorized }
        return SignInPage.response()
    }

    /// `303` to the same URL without `token`, setting the HttpOnly, SameSite=Strict cookie.
    private func redirectSettingCookie(_ request: Request, _ token: AccessToken) -> Response {
        let kept = (request.uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("token=") && $0 != "token" }
        let location = request.uri.path + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        var response = Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        response.headers[.setCookie] =
            "\(Self.cookieName)=\(token.value); Path=/; HttpOnly; SameSite=Strict"
        return response
    }
}
