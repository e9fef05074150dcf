import Synchronization

/// Bounds the cardinality of job-name labels: the first `limit` distinct names are kept,
/// every later one is reported as `other`.
final class JobNameFolder: Sendable {
    static let other = "other"
    private let names = Mutex<Set<String>>([])
    let limit: Int

    init(limit: Int = 1000) { self.limit = limit }

    func label(_ name: String) -> String {
        names.withLock { names in
            if names.contains(name) { return name }
            guard names.count < limit else { return Self.other }
            names.insert(name)
            return name
        }
    }
}
