import PostgresNIO

/// The `NOTIFY` a commit sends on the `joblog` channel, so the other daemons on the database
/// catch up their watchers (``PostgresWatchFeed``).
///
/// Payload: the ids of the runs the transaction changed, comma-separated, a space, then the
/// sending daemon's node name (`12,13 a`). PostgreSQL refuses payloads of 8000 bytes or more:
/// a longer list is split into several notifications of the same transaction.
enum PostgresNotify {
    static let channel = "joblog"
    /// Bytes of run ids per payload (well below PostgreSQL's 8000, the node name added).
    static let maxIDBytes = 7000

    /// The payloads that name `runs` for `node`.
    static func payloads(node: String, runs: some Sequence<Int64>) -> [String] {
        var out: [String] = []
        var current = ""
        for id in runs {
            let text = String(id)
            if !current.isEmpty, current.utf8.count + 1 + text.utf8.count > maxIDBytes {
                out.append(current + " " + node)
                current = ""
            }
            current += current.isEmpty ? text : "," + text
        }
        if !current.isEmpty { out.append(current + " " + node) }
        return out
    }

    /// The node and run ids of a payload; nil when it is not one.
    static func parse(_ payload: String) -> (node: String, runs: [Int64])? {
        guard let space = payload.firstIndex(of: " ") else { return nil }
        let ids = payload[..<space].split(separator: ",").compactMap { Int64($0) }
        guard !ids.isEmpty else { return nil }
        return (String(payload[payload.index(after: space)...]), ids)
    }
}

extension PostgresTransaction {
    /// Tells the other daemons which runs this transaction changed: one statement, sent just
    /// before `COMMIT` (PostgreSQL delivers the notifications only if the transaction commits).
    func notifyChanged(node: String) throws {
        guard !changedRuns.isEmpty else { return }
        let payloads = PostgresNotify.payloads(node: Self.text(node), runs: changedRuns.sorted())
        try execute("SELECT pg_notify(\(PostgresNotify.channel), p) FROM unnest(\(payloads)::text[]) AS p")
    }
}
