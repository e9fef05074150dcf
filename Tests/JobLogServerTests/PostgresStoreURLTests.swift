import JobLogPostgres
import Testing

/// `--store postgres://USER@HOST:PORT/DB?sslmode=…`, parsed and refused.
@Suite struct PostgresStoreURLTests {
    @Test func aWholeURLIsParsed() throws {
        let url = try PostgresStoreURL(parsing: "postgres://joblog@db.internal:6543/fleet?sslmode=disable")
        #expect(
            url
                == PostgresStoreURL(
                    user: "joblog", host: "db.internal", port: 6543, database: "fleet", sslMode: .disable))
        #expect(url.redacted == "postgres://joblog@db.internal:6543/fleet?sslmode=disable")
    }

    @Test func defaultsAreLibpqs() throws {
        let url = try PostgresStoreURL(parsing: "postgresql://u:secret@h/d")
        #expect(url.port == 5432 && url.sslMode == .prefer && url.password == "secret")
        #expect(!url.redacted.contains("secret"))
    }

    @Test func tlsParametersAreLibpqs() throws {
        let url = try PostgresStoreURL(
            parsing: "postgres://u@db.internal/d?sslmode=verify-full&sslrootcert=/etc/joblogd/ca.pem")
        #expect(url.sslMode == .verifyFull && url.sslRootCert == "/etc/joblogd/ca.pem")
        #expect(url.redacted.hasSuffix("?sslmode=verify-full&sslrootcert=/etc/joblogd/ca.pem"))
        for mode in PostgresStoreURL.SSLMode.allCases {
            #expect(try PostgresStoreURL(parsing: "postgres://u@h/d?sslmode=\(mode.rawValue)").sslMode == mode)
        }
        // Checking a certificate's name needs a name: an IP address is refused with the reason.
        let byAddress = try PostgresStoreURL(parsing: "postgres://u@127.0.0.1/d?sslmode=verify-full")
        #expect(throws: (any Error).self) { try byAddress.tls() }
        // A root file that is not there is named before any connection.
        let missingRoot = try PostgresStoreURL(
            parsing: "postgres://u@h/d?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem")
        #expect(throws: (any Error).self) { try missingRoot.tls() }
        _ = try PostgresStoreURL(parsing: "postgres://u@h/d?sslmode=require").tls()
    }

    @Test(arguments: [
        "mysql://u@h/d", "postgres://h/d", "postgres://u@/d", "postgres://u@h", "postgres://u@h/",
        "postgres://u@h/d?sslmode=sometimes", "postgres://u@h/d?timeout=3", "postgres://u@h/a/b",
        "postgres://u@h/d?sslrootcert=",
    ])
    func badURLsAreRefused(_ text: String) {
        #expect(throws: (any Error).self) { try PostgresStoreURL(parsing: text) }
    }
}
