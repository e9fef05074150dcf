/// The paths the HTTP service serves, for telling `405` from `404` before routing.
enum AdminPaths {
    static func isKnown(_ path: String) -> Bool {
        switch path {
        case "/", "/index.html", "/healthz", "/metrics", "/api/admin/jobs", "/api/admin/events", "/api/admin/ws",
            "/api/admin/job-names":
            return true
        default: break
        }
        if path.hasPrefix("/assets/") { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "api", "admin", "job-names", NAME, "stats"
        if parts.count == 6, parts[1] == "api", parts[2] == "admin", parts[3] == "job-names", parts[5] == "stats" {
            return true
        }
        // "", "api", "admin", "jobs", ID [, logs|progress|outcome|stages|compare|cancel]
        guard parts.count == 5 || parts.count == 6, parts[1] == "api", parts[2] == "admin", parts[3] == "jobs" else {
            return false
        }
        return parts.count == 5 || ["logs", "progress", "outcome", "stages", "compare", "cancel"].contains(parts[5])
    }

    /// The API's only write: `POST /api/admin/jobs/{jobRunId}/cancel`. It takes POST and
    /// nothing else; every other path takes GET and HEAD.
    static func isWrite(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 6 && parts[1] == "api" && parts[2] == "admin" && parts[3] == "jobs"
            && parts[5] == "cancel"
    }

    /// Served without a token.
    static func isPublic(_ path: String) -> Bool { path == "/healthz" }

    /// A page a person opens in a browser (gets an HTML sign-in message instead of a JSON 401).
    static func isPage(_ path: String) -> Bool { path == "/" || path == "/index.html" }
}
