import Foundation
import Logging

/// Logs refused notifications at warning level: each distinct reason (method and cause, not
/// the run) at its first occurrence, then at most once a minute with how many were not logged.
/// Used by the writer thread only. Holds at most ``maxReasons`` reasons (a client can invent
/// method names): past that, it starts over.
struct RejectionLog {
    static let maxReasons = 256
    static let interval: TimeInterval = 60

    private var seen: [String: (lastLogged: Date, suppressed: Int)] = [:]
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    mutating func note(_ reason: String, run: Int64?, now: Date = Date()) {
        if let entry = seen[reason], now.timeIntervalSince(entry.lastLogged) < Self.interval {
            seen[reason] = (entry.lastLogged, entry.suppressed + 1)
            return
        }
        if seen.count >= Self.maxReasons, seen[reason] == nil { seen.removeAll() }
        var metadata: Logger.Metadata = ["reason": "\(reason)"]
        if let run { metadata["run"] = "\(run)" }
        if let suppressed = seen[reason]?.suppressed, suppressed > 0 {
            metadata["notLogged"] = "\(suppressed)"
        }
        seen[reason] = (now, 0)
        logger.warning("notification rejected", metadata: metadata)
    }
}
