import Foundation
import JobLogStore

/// Where a PostgreSQL store is: `postgres://USER@HOST:PORT/DB?sslmode=MODE&sslrootcert=PATH`,
/// parsed. TLS as libpq does it: see ``SSLMode`` and PostgresStoreURL+TLS.swift.
public struct PostgresStoreURL: Sendable, Equatable {
    /// How the connection uses TLS, as libpq's `sslmode`.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain otherwise; the certificate is not checked (the default).
        case prefer
        /// TLS or no connection; the certificate is not checked, unless `sslrootcert` is given
        /// (then as `verify-ca`).
        case require
        /// TLS, the certificate signed by a trusted root (`sslrootcert`, else the system's).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate names the URL's host.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// The roots a server certificate must chain to (`sslrootcert`, PEM); nil: the system's.
    public var sslRootCert: String?

    public init(
        user: String, password: String? = nil, host: String, port: Int = 5432, database: String,
        sslMode: SSLMode = .prefer, sslRootCert: String? = nil
    ) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
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
        var sslRootCert: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw StoreError.incompatible(
                        "--store: sslmode must be disable, prefer, require, verify-ca or verify-full, not \(item.value ?? "")"
                    )
                }
                sslMode = mode
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else {
                    throw StoreError.incompatible("--store: sslrootcert needs a file")
                }
                sslRootCert = value
            default:
                throw StoreError.incompatible(
                    "--store: unknown URL parameter \(item.name) (known: sslmode, sslrootcert)")
            }
        }
        self.init(
            user: user, password: components.password, host: host, port: components.port ?? 5432,
            database: database, sslMode: sslMode, sslRootCert: sslRootCert)
    }

    /// The URL without its password, for logs.
    public var redacted: String {
        "postgres://\(user)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
            + (sslRootCert.map { "&sslrootcert=\($0)" } ?? "")
    }
}
