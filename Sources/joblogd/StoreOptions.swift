import ArgumentParser
import Foundation
import JobLogPostgres
import JobLogStore
import Logging

/// `--store…`: the store backend (SQLite at `--db` unless a PostgreSQL URL is given).
struct StoreOptions: ParsableArguments {
    @Option(
        help: """
            Store runs in PostgreSQL instead of SQLite: postgres://USER@HOST:PORT/DB[?sslmode=MODE&sslrootcert=PEM] \
            (sslmode as libpq: disable, prefer (default), require, verify-ca, verify-full) \
            (several daemons may share one database; --db then only names the lock file).
            """)
    var store: String?

    @Option(help: "The PostgreSQL password's file (one final newline is ignored); else PGPASSWORD.")
    var storePasswordFile: String?

    func validate() throws {
        if let store {
            do {
                _ = try PostgresStoreURL(parsing: store)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if storePasswordFile != nil, store == nil {
            throw ValidationError("--store-password-file needs --store")
        }
    }

    /// The PostgreSQL store's opener, or nil for SQLite.
    func opener(environment: [String: String]) throws
        -> (@Sendable (StoreConfiguration, Logger) async throws -> JobLogStore)?
    {
        guard let location = try postgresURL(environment: environment) else { return nil }
        return { configuration, logger in
            logger.info("opening the PostgreSQL store", metadata: ["store": "\(location.redacted)"])
            let backend = try await PostgresBackend.open(
                url: location, nodeName: configuration.nodeName, logger: logger)
            return JobLogStore(backend: backend, configuration: configuration, logger: logger)
        }
    }

    /// The PostgreSQL store's URL with its password, or nil for SQLite.
    func postgresURL(environment: [String: String]) throws -> PostgresStoreURL? {
        guard let store else { return nil }
        var url = try PostgresStoreURL(parsing: store)
        if let storePasswordFile {
            guard var text = try? String(contentsOfFile: storePasswordFile, encoding: .utf8) else {
                throw ValidationError("cannot read --store-password-file \(storePasswordFile)")
            }
            if text.hasSuffix("\n") { text.removeLast() }
            url.password = text
        } else if let password = environment["PGPASSWORD"] {
            url.password = password
        }
        return url
    }
}
