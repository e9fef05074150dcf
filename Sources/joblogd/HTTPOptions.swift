import ArgumentParser
import Foundation
import JobLogHTTP

/// `--http…`: the HTTP admin API and web UI.
struct HTTPOptions: ParsableArguments {
    @Option(help: "HTTP admin API and web UI address, HOST:PORT (port 0 picks a free port), or 'off'.")
    var http: String = "127.0.0.1:7370"

    @Option(help: "The HTTP access token's file (default: http-token beside the database; created, mode 0600).")
    var httpTokenFile: String?

    @Option(help: "'token' (every request but /healthz needs the token) or 'none' (no check).")
    var httpAuth: String = "token"

    @Option(help: "Write the bound HTTP port to this file once listening.")
    var httpPortFile: String?

    @Option(
        help: ArgumentHelp(
            "Log entries a second per live view (WebSocket or event stream subscription); past it, entries are told as 'lagged', to be read from the store. 0: no limit.",
            valueName: "N"))
    var httpLiveRate: Int = 1000

    func validate() throws {
        guard http == "off" || HTTPConfiguration.parseAddress(http) != nil else {
            throw ValidationError("--http must be HOST:PORT or off, like 127.0.0.1:7370")
        }
        guard httpAuth == "token" || httpAuth == "none" else {
            throw ValidationError("--http-auth must be 'token' or 'none'")
        }
        guard (0...10_000_000).contains(httpLiveRate) else {
            throw ValidationError("--http-live-rate must be 0 (no limit) to 10000000 log entries a second")
        }
    }

    /// The configuration, or nil with `--http off`.
    func configuration(databasePath: String) -> HTTPConfiguration? {
        guard let (host, port) = HTTPConfiguration.parseAddress(http) else { return nil }
        let tokenFile =
            httpTokenFile
            ?? URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent(
                "http-token"
            ).path
        var c = HTTPConfiguration(host: host, port: port, tokenFile: tokenFile)
        c.requireToken = httpAuth == "token"
        c.portFile = httpPortFile
        c.liveLogRate = httpLiveRate == 0 ? nil : httpLiveRate
        return c
    }
}
