import JobLogModel

/// Why the store did not apply a write or answer a read.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownRun(Int64)
    case runFinished(Int64, RunStatus)
    case notPermitted(String)
    /// The database cannot take writes now (disk full, read-only, locked).
    case unavailable(String)
    /// A counter would overflow 64 bits.
    case overflow(String)
    case shuttingDown
    /// A read ran past its time budget (see ``StoreConfiguration/readBudgetMs``).
    case tooExpensive(String)
    /// A database written by a newer daemon, or another unrecoverable condition at open.
    case incompatible(String)

    public var description: String {
        switch self {
        case .unknownRun(let id): "unknown run \(id)"
        case .runFinished(let id, let status): "run \(id) already finished (\(status))"
        case .notPermitted(let why): "not permitted: \(why)"
        case .unavailable(let why): "store unavailable: \(why)"
        case .overflow(let field): "\(field) would overflow"
        case .shuttingDown: "shutting down"
        case .tooExpensive(let why): "query too expensive: \(why)"
        case .incompatible(let why): why
        }
    }
}
