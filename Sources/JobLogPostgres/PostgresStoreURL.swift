import Foundation
import JobLogStore

/// Where a PostgreSQL store is: `postgres://USER@HOST:PORT/DB?sslmode=MODE`, parsed.
public struct PostgresStoreURL: Sendable, Equatable {
    /// How the connection uses TLS, as libpq's `sslmode`.
    public enum SSLMode: String, Sendable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode

    public init(
        user: String, password: String? = nil, host: String, port: Int = 5432, database: String,
        sslMode: SSLMode = .prefer
    ) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses `postgres://` or `postgresql://` URLs; a password in the URL is taken too, though
    /// `--store-password-file` or `PGPASSWORD` keep it out of `ps`.
    public init(parsing text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else { throw StoreError.incompatible("--store: not a postgres:// URL: \(text)") }
        guard let host = components.host, !host.isEmpty else {
            throw StoreError.incompatible("--store: the URL names no host: \(text)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError.incompatible("--store: the URL names no user: \(text)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError.incompatible("--store: the URL names no database: \(text)")
        }
        var sslMode = SSLMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw StoreError.incompatible("--store: unknown URL parameter \(item.name)")
            }
            guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                throw StoreError.incompatible(
                    "--store: sslmode must be disable, prefer, require or verify-full, not \(item.value ?? "")")
            }
            sslMode = mode
        }
        self.init(
            user: user, password: components.password, host: host, port: components.port ?? 5432,
            database: database, sslMode: sslMode)
    }

    /// The URL without its password, for logs.
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)" }
}
