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

    /// How long a listening node's lease may be silent before its `listening` flag is ignored (a
    /// daemon killed while it had watchers leaves the flag set).
    static let listenerFreshMs: Int64 = 60_000

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
    ///
    /// Only while another live node listens (`nodes.listening`, set by a ``PostgresWatchFeed`` while
    /// its daemon has watchers, on a lease renewed within ``PostgresNotify/listenerFreshMs``): every
    /// notification wakes every listening connection of the database, whatever its channel, and
    /// each wake-up is a transaction of that connection's server process. A fleet where nobody
    /// watches sends none.
    func notifyChanged(node: String) throws {
        guard !changedRuns.isEmpty else { return }
        let node = Self.text(node)
        let payloads = PostgresNotify.payloads(node: node, runs: changedRuns.sorted())
        try execute(
            """
            SELECT pg_notify(\(PostgresNotify.channel), p) FROM unnest(\(payloads)::text[]) AS p
            WHERE EXISTS (SELECT 1 FROM nodes WHERE listening AND name <> \(node)
                AND heartbeat_at > \(unescaped: PostgresBackend.nowMs) - \(PostgresNotify.listenerFreshMs))
            """)
    }
}
