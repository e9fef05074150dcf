import PostgresNIO

/// Why the PostgreSQL store cannot be used, in words.
enum PostgresStoreError: Error, CustomStringConvertible {
    /// The database was migrated by a newer joblogd (this migration is unknown here).
    case newerSchema(String)
    /// PostgreSQL did not answer in time.
    case timeout(Duration)

    var description: String {
        switch self {
        case .newerSchema(let name):
            "the PostgreSQL database was migrated by a newer joblogd (migration \(name)); refusing to use it"
        case .timeout(let limit):
            "PostgreSQL did not answer within \(limit.components.seconds) s"
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
            return "PostgreSQL unreachable (\(e.code))"
        }
        return "\(error)"
    }
}
