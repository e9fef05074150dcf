import Foundation
import JobLogStore
import JobLogTestSupport
import Logging
import Testing

@testable import JobLogPostgres

/// The PostgreSQL schema's migrations: applied once under the advisory lock however many daemons
/// start together, and a database migrated by a newer joblogd is refused.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct PostgresSchemaTests {
    let logger = Logger(label: "test")

    @Test func daemonsStartingTogetherMigrateOnce() async throws {
        let url = try PostgresStoreURL(parsing: try PostgresCluster.makeDatabase())
        let logger = logger
        let backends = try await withThrowingTaskGroup(of: PostgresBackend.self) { group in
            for _ in 0..<6 { group.addTask { try await PostgresBackend.open(url: url, logger: logger) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(backends.count == 6)
        // Each one writes and reads the same tables.
        let stores = backends.map {
            JobLogStore(backend: $0, configuration: StoreConfiguration(path: "/nonexistent/unused"), logger: logger)
        }
        defer { for store in stores { store.close() } }
        for backend in backends { #expect(try await backend.integrityCheck() == "ok") }
        #expect(try await backends[0].listRuns(jobName: nil, status: nil, node: nil, limit: 10, beforeId: nil).isEmpty)
        let migrations = try PostgresCluster.query(url: Self.text(url), "SELECT count(*) FROM joblog_migrations")
        #expect(migrations == "\(PostgresSchema.migrations.count)")
    }

    @Test func aDatabaseOfANewerJoblogdIsRefused() async throws {
        let text = try PostgresCluster.makeDatabase()
        let url = try PostgresStoreURL(parsing: text)
        let first = try await PostgresBackend.open(url: url, logger: logger)
        first.stop()
        _ = try PostgresCluster.query(url: text, "INSERT INTO joblog_migrations (name) VALUES ('p99-from-the-future')")
        await #expect(throws: StoreError.self) { _ = try await PostgresBackend.open(url: url, logger: logger) }
    }

    static func text(_ url: PostgresStoreURL) -> String {
        "postgres://\(url.user)@\(url.host):\(url.port)/\(url.database)"
    }
}
