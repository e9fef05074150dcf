import Hummingbird

/// What a browser gets on `/` without a valid token: a `401` page saying how to sign in.
enum SignInPage {
    static let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>joblogd: sign in</title></head>
        <body><main id="sign-in"><h1>joblogd</h1>
        <p>Sign in: open the URL that joblogd logged when it started
        (<code>http: open http://HOST:PORT/?token=…</code>); the token is in the daemon's
        <code>http-token</code> file. Or paste the token here:</p>
        <form method="get" action="/"><input type="password" name="token" autocomplete="off"
        aria-label="access token" placeholder="access token" required> <button type="submit">Sign in</button></form>
        </main></body></html>
        """

    static func response() -> Response {
        var headers = StaticRoutes.htmlHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .unauthorized, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
