import JobLogProtocol
import JobLogStore
import Logging

extension RPCError {
    /// The wire error for a store error.
    init(_ error: StoreError) {
        switch error {
        case .unknownRun(let id): self = .unknownRun(id)
        case .runFinished(let id, let status): self = .runFinished(id, status: status)
        case .notPermitted(let why): self = .notPermitted(why)
        case .unavailable(let why): self = .storeUnavailable(why)
        case .overflow(let field): self = .invalidParams(field: field, reason: "out of range")
        case .shuttingDown: self = .shuttingDown
        case .incompatible(let why): self = .storeUnavailable(why)
        case .tooExpensive(let why): self = .queryTooExpensive(why)
        }
    }

    /// Any error from a read: store errors map to their codes, the rest is logged and internal.
    init(_ error: any Error, logger: Logger) {
        if let e = error as? StoreError {
            self.init(e)
        } else if let e = error as? RPCError {
            self = e
        } else {
            logger.error("read failed", metadata: ["error": "\(error)"])
            self = .storeUnavailable("the database could not be read")
        }
    }
}
