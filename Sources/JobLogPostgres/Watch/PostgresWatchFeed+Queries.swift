import JobLogJSON
import JobLogModel
import NIOCore
import PostgresNIO

/// The reads of one look, on the feed's own connection, inside its snapshot.
extension PostgresWatchFeed {
    /// Each run's entries after its cursor at the watched level (a page), or its newest id when
    /// nobody watches entries.
    func readLogs(
        _ connection: PostgresConnection, _ runs: ArraySlice<Planned>, level: LogLevel?,
        into looks: inout [Int64: RunCursor.Look]
    ) async throws {
        let ids = runs.map(\.run.id)
        guard let level else {
            let rows = try await query(
                connection, "SELECT run_id, max(id) FROM logs WHERE run_id = ANY(\(ids)) GROUP BY run_id")
            for row in rows {
                let (run, newest) = try row.decode((Int64, Int64).self)
                looks[run]?.newestLogID = newest
            }
            return
        }
        let rows = try await query(
            connection,
            """
            SELECT c.rid, l.id, l.level, l.stage, l.message, l.context, l.created_at
            FROM unnest(\(ids)::bigint[], \(runs.map(\.afterLog))::bigint[]) AS c(rid, after_id)
            CROSS JOIN LATERAL (
                SELECT id, level, stage, message, context, created_at FROM logs
                WHERE run_id = c.rid AND id > c.after_id AND level >= \(Int64(level.rawValue))
                ORDER BY id LIMIT \(Int64(Self.logsPerRun))) l
            ORDER BY c.rid, l.id
            """)
        for row in rows {
            let (run, id, lvl, stage, message, context, createdAt) = try row.decode(
                (Int64, Int64, Int64, String?, ByteBuffer, String, Int64).self)
            looks[run]?.logs.append(
                LogRecord(
                    id: id, level: LogLevel(rawValue: Int(lvl)) ?? .info, stage: stage,
                    message: String(buffer: message), context: RawJSON(validating: context) ?? .emptyObject,
                    createdAt: Timestamp(milliseconds: createdAt)))
        }
        for id in ids where looks[id]?.logs.count == Self.logsPerRun { looks[id]?.logsComplete = false }
    }

    /// Each run's stage rows after its cursor.
    func readStages(
        _ connection: PostgresConnection, _ runs: ArraySlice<Planned>, into looks: inout [Int64: RunCursor.Look]
    ) async throws {
        let rows = try await query(
            connection,
            """
            SELECT s.run_id, s.id, s.stage, s.started_at, s.log_position
            FROM unnest(\(runs.map(\.run.id))::bigint[], \(runs.map(\.afterStage))::bigint[]) AS c(rid, after_id)
            JOIN stages s ON s.run_id = c.rid AND s.id > c.after_id
            ORDER BY s.run_id, s.id
            """)
        for row in rows {
            let (run, id, stage, startedAt, position) = try row.decode((Int64, Int64, String, Int64, Int64?).self)
            looks[run]?.stages.append(
                RunCursor.StageRow(
                    id: id, stage: stage, startedAt: Timestamp(milliseconds: startedAt), position: position))
        }
    }

    /// The newest log id and stage row id of each run.
    func newestIDs(_ connection: PostgresConnection, _ runs: [Int64]) async throws
        -> [Int64: (log: Int64, stage: Int64)]
    {
        let rows = try await query(
            connection,
            """
            SELECT r.id, (SELECT coalesce(max(id), 0) FROM logs WHERE run_id = r.id),
                (SELECT coalesce(max(id), 0) FROM stages WHERE run_id = r.id)
            FROM unnest(\(runs)::bigint[]) AS r(id)
            """)
        var out: [Int64: (log: Int64, stage: Int64)] = [:]
        for row in rows {
            let (run, log, stage) = try row.decode((Int64, Int64, Int64).self)
            out[run] = (log, stage)
        }
        return out
    }

    @discardableResult
    func query(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunks(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
