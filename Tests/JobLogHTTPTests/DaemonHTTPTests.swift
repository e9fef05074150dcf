import Foundation
import JobLogTestSupport
import Testing

@testable import JobLogHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The real `joblogd` with `--http`: it logs the URL with the token, creates the token file
/// beside the database (0600), serves HTTP next to the socket, and a taken port only warns.
@Suite struct DaemonHTTPTests {
    static func port(_ file: String) throws -> Int {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return port
            }
            usleep(20_000)
        }
        throw TestFailure("no port file")
    }

    static var portFile: String { FileManager.default.temporaryDirectory.path + "/joblogd-port-" + UUID().uuidString }

    /// A daemon serving HTTP on a free loopback port: the daemon, its port and its token.
    static func webDaemon() throws -> (daemon: TestDaemon, port: Int, token: String) {
        let file = portFile
        defer { unlink(file) }
        let daemon = try TestDaemon(arguments: ["--http", "127.0.0.1:0", "--http-port-file", file])
        let port = try port(file)
        let token = try String(contentsOfFile: daemon.directory + "/http-token", encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        return (daemon, port, token)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: TestDaemon.binary), "needs the built joblogd"))
    func logsTheURLAndServes() throws {
        let file = Self.portFile
        defer { unlink(file) }
        let daemon = try TestDaemon(arguments: ["--http", "127.0.0.1:0", "--http-port-file", file])
        defer { _ = daemon.terminate() }
        let port = try Self.port(file)
        let tokenPath = daemon.directory + "/http-token"
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .newlines)
        var st = stat()
        #expect(stat(tokenPath, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(token.count == 64)
        for _ in 0..<100 where !daemon.daemonLog().contains("http: open") { usleep(20_000) }
        #expect(daemon.daemonLog().contains("http: open http://127.0.0.1:\(port)/?token=\(token)"))
        let health = try RawHTTPStream(port: port, request: RawHTTPStream.get("/healthz"))
        #expect(health.read { $0.contains("\"protocolVersion\":2}") })
        #expect(health.text.hasPrefix("HTTP/1.1 200"))
        // The Date header (formatted on demand, RFC 9110), for this second or the one before.
        let now = Int(Date().timeIntervalSince1970)
        #expect(
            [now - 1, now].contains {
                health.text.lowercased().contains("date: \(HTTPDate.format($0).lowercased())\r\n")
            })
        let denied = try RawHTTPStream(port: port, request: RawHTTPStream.get("/api/admin/jobs"))
        #expect(denied.read { $0.contains("\"code\":-32003") })
        #expect(denied.text.hasPrefix("HTTP/1.1 401"))
        // The socket is served as before.
        #expect(try daemon.connect().result("ping")["protocolVersion"] as? Int == 2)
    }

    /// A browser tab left open (a WebSocket and an event stream that never close) does not hold
    /// up a stop: both are ended (the WebSocket with a close frame, the stream's body finished)
    /// and the daemon exits cleanly.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: TestDaemon.binary), "needs the built joblogd"))
    func openLiveViewsDoNotHoldUpAStop() throws {
        let (daemon, port, token) = try Self.webDaemon()
        defer { _ = daemon.terminate() }
        let ws = try RawHTTPStream(
            port: port,
            request: RawHTTPStream.get(
                "/api/admin/ws",
                headers: [
                    "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Authorization": "Bearer \(token)",
                ]))
        #expect(ws.read { $0.contains("101 Switching Protocols") })
        ws.send(RawHTTPStream.maskedTextFrame(#"{"watch":{"level":"info"}}"#))
        #expect(ws.read { $0.contains(#"{"subscription":"#) })
        let events = try RawHTTPStream(
            port: port, request: RawHTTPStream.get("/api/admin/events", headers: ["Authorization": "Bearer \(token)"]))
        #expect(events.read { $0.contains(": joblogd events") })

        let pid = try #require(daemon.process?.processIdentifier)
        kill(pid, SIGTERM)
        var running = true
        for _ in 0..<600 where running {
            usleep(50_000)
            running = daemon.process?.isRunning ?? false
        }
        #expect(!running, "the daemon still runs 30 s after SIGTERM with live views open")
        if running { kill(pid, SIGKILL) }
        #expect(daemon.terminate() == 0)
        #expect(ws.closedByPeer())
        // A close frame (final, opcode 8: 0x88) after the subscription's answer, the last frame.
        let answer = try #require(ws.received.indices.last { ws.received[$0] == UInt8(ascii: "}") })
        #expect(ws.received[(answer + 1)...].first == 0x88)
        #expect(events.closedByPeer())
        #expect(events.text.hasSuffix("0\r\n\r\n"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: TestDaemon.binary), "needs the built joblogd"))
    func aTakenPortOnlyWarns() throws {
        let file = Self.portFile
        defer { unlink(file) }
        let first = try TestDaemon(arguments: ["--http", "127.0.0.1:0", "--http-port-file", file])
        defer { _ = first.terminate() }
        let port = try Self.port(file)
        let second = try TestDaemon(arguments: ["--http", "127.0.0.1:\(port)"])
        defer { _ = second.terminate() }
        for _ in 0..<100 where !second.daemonLog().contains("http: cannot listen") { usleep(20_000) }
        let log = second.daemonLog()
        #expect(log.components(separatedBy: "http: cannot listen").count == 2, "one warning")
        #expect(try second.connect().result("ping")["protocolVersion"] as? Int == 2)
        #expect(second.terminate() == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: TestDaemon.binary), "needs the built joblogd"))
    func authNoneOnANonLoopbackAddressWarns() throws {
        let daemon = try TestDaemon(arguments: ["--http", "0.0.0.0:0", "--http-auth", "none"])
        defer { _ = daemon.terminate() }
        for _ in 0..<100 where !daemon.daemonLog().contains("http: open") { usleep(20_000) }
        #expect(daemon.daemonLog().contains("--http-auth none on a non-loopback address"))
        #expect(!daemon.daemonLog().contains("?token="))
    }
}
