import JobLogRules

extension StoreError {
    /// A refusal of the run rules as the store's error.
    init(_ refusal: RunRefusal) {
        switch refusal {
        case .runFinished(let id, let status): self = .runFinished(id, status)
        case .notPermitted(let why): self = .notPermitted(why)
        case .overflow(let field): self = .overflow(field)
        }
    }

    /// The error as the cause of a refused notification (`lastRejection`): without the run's id.
    var rejectionCause: String {
        switch self {
        case .unknownRun: "unknown run"
        case .runFinished(_, let status): "run already finished (\(status.rawValue))"
        case .notPermitted: "not permitted"
        case .overflow(let field): "\(field) would overflow"
        default: description
        }
    }

    /// Whether a notification refused with this error counts on its run (`rejectedCount`): not
    /// when the run is unknown or the caller may not write to it, and never for a store failure
    /// (that is a loss, reported to the connection's next request instead).
    var countsAsRejection: Bool? {
        switch self {
        case .unavailable, .shuttingDown, .incompatible, .tooExpensive: nil
        case .unknownRun, .notPermitted: false
        case .runFinished, .overflow: true
        }
    }

    /// Why a connection's writes are held back.
    static let sessionLostWrite = "this connection's session lost a write; send hello again"

    /// Why a connection's writes are held back after one of its notifications was lost.
    static func earlierLoss(_ lost: String) -> String {
        "an earlier notification on this connection was not stored (\(lost))"
    }
}

/// The text of a refused notification, at most 300 bytes: `method: cause`.
enum RejectionText {
    static let maxBytes = 300

    static func reason(method: String, cause: String) -> String {
        String(prefix("\(method): \(cause)", maxBytes: maxBytes))
    }

    /// At most `maxBytes` of UTF-8, cut at a character boundary.
    static func prefix(_ s: String, maxBytes: Int) -> Substring {
        guard s.utf8.count > maxBytes else { return Substring(s) }
        var end = s.startIndex
        var used = 0
        for c in s {
            used += c.utf8.count
            if used > maxBytes { break }
            end = s.index(after: end)
        }
        return s[..<end]
    }
}
