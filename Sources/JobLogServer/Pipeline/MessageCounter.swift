import JobLogProtocol

/// Counts messages per method for `/metrics` without a lock per message: jobs send long runs of
/// one method, so a run is counted here and reported when the method changes or on ``report()``.
///
/// A value confined to its pipeline.
struct MessageCounter {
    private let stats: ServerStats
    /// The method of the current run (nil inside: a name that is no method, counted as `unknown`).
    private var method: Method??
    private var count = 0

    init(stats: ServerStats) { self.stats = stats }

    /// Counts one message of `method` (nil: no such method).
    mutating func count(_ method: Method?) {
        if self.method != .some(method) {
            report()
            self.method = .some(method)
        }
        count += 1
    }

    /// Reports the counted messages to the stats sink (one lock for the sink).
    mutating func report() {
        guard count > 0, let method else { return }
        stats.current?.message(method?.rawValue ?? "unknown", count: count)
        count = 0
    }
}
