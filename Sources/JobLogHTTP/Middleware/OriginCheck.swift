import HTTPTypes
import Hummingbird

/// The cross-site guard of the API's write (`POST …/cancel`), on top of the token: a browser
/// sends the `joblogd_token` cookie to any port of the same host (cookies ignore ports, and
/// `SameSite` counts another port as the same site), so a page served elsewhere on this host
/// could otherwise post with it.
///
/// Refused (`403`): a request whose `Origin` is present and is not the daemon's own origin,
/// `http://` plus the `Host` the request came in on (the service speaks plain HTTP only;
/// `Origin: null`, an opaque origin, is refused too), and one a browser marks
/// `Sec-Fetch-Site: cross-site` or `same-site` (the web UI's own requests are `same-origin`).
/// A request with neither header (curl, scripts) passes: it carries the token itself.
enum OriginCheck {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// Why `request` is refused, or nil when it may write.
    static func refusal(_ request: Request) -> String? {
        if let site = request.headers[secFetchSite]?.lowercased(), site == "cross-site" || site == "same-site" {
            return "Sec-Fetch-Site: \(site): only the daemon's own pages may write"
        }
        guard let origin = request.headers[.origin] else { return nil }
        guard let own = ownOrigin(request) else {
            return "Origin \(origin) cannot be checked: the request names no Host"
        }
        guard origin.lowercased() == own else {
            return "Origin \(origin) is not the daemon's own (\(own))"
        }
        return nil
    }

    /// `http://HOST[:PORT]` as the request addressed the daemon; nil without a `Host`.
    static func ownOrigin(_ request: Request) -> String? {
        guard let authority = request.head.authority, !authority.isEmpty else { return nil }
        return "http://" + authority.lowercased()
    }
}
