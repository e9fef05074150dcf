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

    @Test(arguments: [
        "mysql://u@h/d", "postgres://h/d", "postgres://u@/d", "postgres://u@h", "postgres://u@h/",
        "postgres://u@h/d?sslmode=sometimes", "postgres://u@h/d?timeout=3", "postgres://u@h/a/b",
    ])
    func badURLsAreRefused(_ text: String) {
        #expect(throws: (any Error).self) { try PostgresStoreURL(parsing: text) }
    }
}
