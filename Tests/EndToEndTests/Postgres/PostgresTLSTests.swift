import Foundation
import JobLogTestSupport
import Testing

/// `--store postgres://…?sslmode=…` over real TLS: a private cluster with `ssl=on` that refuses
/// connections without TLS (`hostssl` only), its certificate signed by a test CA made here with
/// `openssl`. The daemon works with `require` and with `verify-full` against that CA; it refuses
/// to start (exit 2, the reason logged) without TLS, with a CA that did not sign the server's
/// certificate, and with `verify-full` of an IP address.
@Suite(
    .enabled(if: PrivatePostgresCluster.available, "\(PrivatePostgresCluster.unavailableReason)"),
    .enabled(if: TLSFixture.opensslPath != nil, "no openssl: install openssl")
)
struct PostgresTLSTests {
    @Test func theDaemonTalksTLSAndChecksTheCertificateAsAsked() throws {
        let fixture = try TLSFixture()
        let cluster = try PrivatePostgresCluster(
            tls: .init(certificate: fixture.directory + "/server.pem", key: fixture.directory + "/server.key"))
        let port = cluster.port

        // Verified: the CA signed the server's certificate, which names localhost.
        let verified = try TestDaemon(arguments: [
            "--store",
            "postgres://joblog@localhost:\(port)/postgres?sslmode=verify-full&sslrootcert=\(fixture.directory)/ca.pem",
        ])
        let client = try verified.connect()
        let id = try #require(try client.result("startRun", ["jobName": "over-tls"])["jobRunId"] as? String)
        _ = try client.result("info", ["jobRunId": id, "message": "encrypted"])
        _ = try client.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
        let run = try #require(try client.result("getRun", ["jobRunId": id])["run"] as? [String: Any])
        #expect(run["status"] as? String == "SUCCESS")
        // The server agrees: the daemon's connections are encrypted (none could be otherwise here).
        let encrypted = try PostgresCluster.query(
            url: "postgres://joblog@127.0.0.1:\(port)/postgres?sslmode=require",
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.datname = 'postgres' AND a.pid <> pg_backend_pid()"
        )
        #expect((Int(encrypted) ?? 0) >= 2, "encrypted connections: \(encrypted)")
        #expect(verified.terminate() == 0)

        // `require`: encrypted, the certificate not checked.
        let required = try TestDaemon(arguments: [
            "--store", "postgres://joblog@127.0.0.1:\(port)/postgres?sslmode=require",
        ])
        let requiredClient = try required.connect()
        let second = try #require(
            try requiredClient.result("startRun", ["jobName": "over-tls"])["jobRunId"] as? String)
        #expect(second != id)
        let listed = try #require(try requiredClient.result("listRuns", ["jobName": "over-tls"])["runs"] as? [Any])
        #expect(listed.count == 2)
        #expect(required.terminate() == 0)

        // Refused at start, each with its reason in the daemon's log.
        let refusals: [(url: String, reason: String)] = [
            ("postgres://joblog@127.0.0.1:\(port)/postgres?sslmode=disable", "no encryption"),
            (
                "postgres://joblog@localhost:\(port)/postgres?sslmode=verify-full&sslrootcert=\(fixture.directory)/other-ca.pem",
                "certificate"
            ),
            (
                "postgres://joblog@127.0.0.1:\(port)/postgres?sslmode=verify-full&sslrootcert=\(fixture.directory)/ca.pem",
                "IP address"
            ),
        ]
        for refusal in refusals {
            let run = fixture.directory + "/run-" + UUID().uuidString.prefix(6)
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
            let (status, log) = Hardening.runDaemon([
                "--socket", run + "/sock", "--db", run + "/db", "--http", "off", "--store", refusal.url,
            ])
            #expect(status == 2, "\(refusal.url): exit \(status)\n\(log)")
            #expect(log.contains(refusal.reason), "\(refusal.url): \(log)")
        }
    }
}

/// A test CA, a server certificate it signed for `localhost` and 127.0.0.1, and a second CA that
/// signed nothing, in a temporary directory (made with the `openssl` command).
struct TLSFixture {
    static let opensslPath: String? = ["/usr/bin/openssl", "/bin/openssl", "/usr/local/bin/openssl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.path + "/joblog-tls-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            toFile: directory + "/san.cnf", atomically: true, encoding: .utf8)
        for ca in ["ca", "other-ca"] {
            try openssl([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(ca).key", "-out", "\(ca).pem",
                "-days", "2", "-subj", "/CN=joblog test \(ca)",
            ])
        }
        try openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
            "/CN=localhost",
        ])
        try openssl([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "server.pem", "-days", "2", "-extfile", "san.cnf",
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.opensslPath ?? "openssl")
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("openssl \(arguments.first ?? "") failed") }
    }
}
