/// Counts messages per method for `/metrics` without a lock per message: jobs send long runs of
/// one method, so a run is counted here and reported when the method changes or on ``report()``.
///
/// A value confined to its pipeline.
struct MessageCounter {
    private let stats: ServerStats
    /// The method name of the current run (`unknown` for a name that is no method).
    private var method: String?
    private var count = 0

    init(stats: ServerStats) { self.stats = stats }

    /// Counts one message of the method named `name` (`known`: a method of the protocol). By
    /// name, not by `Method`: two short strings compare inline, enum equality is a call.
    mutating func count(_ name: String, known: Bool) {
        let name = known ? name : "unknown"
        if name != method {
            report()
            method = name
        }
        count += 1
    }

    /// Reports the counted messages to the stats sink (one lock for the sink).
    mutating func report() {
        guard count > 0, let method else { return }
        stats.current?.message(method, count: count)
        count = 0
    }
}
