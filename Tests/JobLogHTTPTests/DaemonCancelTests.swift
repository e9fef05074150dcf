import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `joblogd`: a cancel posted over HTTP from the daemon's own origin (the `Host` it
/// was reached at) reaches the job's connection as the socket's `cancel` notification; one
/// from another origin is refused before anything is stored.
@Suite struct DaemonCancelTests {
    static func post(_ path: String, port: Int, token: String, origin: String, body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n"
            + "Origin: \(origin)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n\(body)"
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: TestDaemon.binary), "needs the built joblogd"))
    func aCancelFromTheOwnOriginReachesTheJob() throws {
        let (daemon, port, token) = try DaemonHTTPTests.webDaemon()
        defer { _ = daemon.terminate() }
        let job = try daemon.connect()
        let id = try #require(
            try job.result("startRun", ["jobName": "web", "acceptsCancel": true])["jobRunId"] as? String)
        let path = "/api/admin/jobs/\(id)/cancel"
        let body = #"{"reason":"from http","graceMs":60000}"#

        let foreign = try RawHTTPStream(
            port: port,
            request: Self.post(path, port: port, token: token, origin: "http://127.0.0.1:\(port + 1)", body: body))
        #expect(foreign.read { $0.contains("\"code\":-32003") })
        #expect(foreign.text.hasPrefix("HTTP/1.1 403"), "\(foreign.text)")
        let before = try job.result("getRun", ["jobRunId": id])["run"] as? [String: Any]
        #expect(before?["cancelRequestedAt"] is NSNull)

        let own = try RawHTTPStream(
            port: port,
            request: Self.post(path, port: port, token: token, origin: "http://127.0.0.1:\(port)", body: body))
        #expect(own.read { $0.contains("\"cancelReason\":\"from http\"") })
        #expect(own.text.hasPrefix("HTTP/1.1 200"), "\(own.text)")

        let notice = try #require(try CancelRunLines.next(job, method: "cancel"))
        let params = notice["params"] as? [String: Any]
        #expect(params?["jobRunId"] as? String == id)
        #expect(params?["reason"] as? String == "from http")
        #expect(params?["graceMs"] as? Int == 60_000)
        _ = try job.result("finishRun", ["jobRunId": id, "status": "CANCELLED"])
        let ended = try job.result("getRun", ["jobRunId": id])["run"] as? [String: Any]
        #expect(ended?["status"] as? String == "CANCELLED")
    }

    static let curl = "/usr/bin/curl"

    /// The README's example, as written there (with the port of this daemon): curl sends no
    /// `Origin`, so only the token and the content type stand.
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: TestDaemon.binary), "needs the built joblogd"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: curl), "needs curl"))
    func theReadmeCurlExampleCancels() throws {
        let (daemon, port, token) = try DaemonHTTPTests.webDaemon()
        defer { _ = daemon.terminate() }
        let job = try daemon.connect()
        let id = try #require(try job.result("startRun", ["jobName": "curl"])["jobRunId"] as? String)
        let p = Process()
        let out = Pipe()
        p.executableURL = URL(fileURLWithPath: Self.curl)
        p.arguments = [
            "-s", "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "-d",
            #"{"reason":"disk full"}"#, "localhost:\(port)/api/admin/jobs/\(id)/cancel",
        ]
        p.standardOutput = out
        try p.run()
        let body = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(body.contains(#""cancelReason":"disk full""#), "\(body)")
        let run = try job.result("getRun", ["jobRunId": id])["run"] as? [String: Any]
        #expect(run?["cancelRequestedAt"] is String)
        _ = try job.result("finishRun", ["jobRunId": id, "status": "CANCELLED"])
    }
}

/// Reads a client's lines until one with the given `method` (notifications among answers).
enum CancelRunLines {
    static func next(_ client: LineClient, method: String) throws -> [String: Any]? {
        for _ in 0..<200 {
            guard let line = try client.readLine() else { return nil }
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            if o["method"] as? String == method { return o }
        }
        return nil
    }
}
