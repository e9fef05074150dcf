import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// Why the PostgreSQL store cannot be used, in words.
enum PostgresStoreError: Error, CustomStringConvertible {
    /// The database was migrated by a newer joblogd (this migration is unknown here).
    case newerSchema(String)
    /// PostgreSQL did not answer in time.
    case timeout(Duration)
    /// The connection was closed while a statement waited for its answer.
    case connectionLost

    var description: String {
        switch self {
        case .newerSchema(let name):
            "the PostgreSQL database was migrated by a newer joblogd (migration \(name)); refusing to use it"
        case .timeout(let limit):
            "PostgreSQL did not answer within \(limit.components.seconds) s"
        case .connectionLost:
            "the connection to PostgreSQL was lost"
        }
    }

    /// A PostgreSQL or connection failure as a client-facing reason (`PSQLError`'s own
    /// description hides the server's message on purpose).
    static func reason(_ error: any Error) -> String {
        if let e = error as? PostgresStoreError { return e.description }
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] {
                return "PostgreSQL: \(message)"
            }
            return "PostgreSQL unreachable (\(connectFailure(e.underlying) ?? "\(e.code)"))"
        }
        return "\(error)"
    }

    /// Whether `error` says the server could not be reached or the connection was lost (rather
    /// than a statement failing): no answer in time, a failure without a server message, or the
    /// server's connection-exception, shutdown and starting-up codes (SQLSTATE classes 08, 57P).
    static func isConnectionLevel(_ error: any Error) -> Bool {
        if error is PostgresStoreError { return true }
        guard let e = error as? PSQLError else { return false }
        guard let state = e.serverInfo?[.sqlState] else { return true }
        return state.hasPrefix("08") || state.hasPrefix("57P")
    }

    /// The system's words for why a connection could not be made (`Connection refused`), when
    /// the failure says it.
    static func connectFailure(_ error: (any Error)?) -> String? {
        var error = error
        if let e = error as? NIOConnectionError {
            error = e.connectionErrors.last?.error ?? e.dnsAError ?? e.dnsAAAAError
        }
        if let error, error is NIOSSLError || error is BoringSSLError {
            let text = "\(error)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return "TLS: the server's certificate could not be verified (check sslrootcert, and that the "
                    + "certificate names the URL's host)"
            }
            return "TLS: \(text)"
        }
        guard let io = error as? IOError else { return error.map { "\($0)" } }
        return String(cString: strerror(io.errnoCode))
    }
}
