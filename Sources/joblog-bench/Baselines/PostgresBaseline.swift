import Foundation
import JobLogPostgres
import Logging
import PostgresNIO

/// The PostgreSQL side of `joblog-bench --store postgres://…`: a scratch database next to the one
/// the URL names (created at start, dropped at the end, so runs do not pile up rows), the raw
/// baseline (the same rows into the same schema with 1,000-row multi-row `INSERT`s from this
/// process, one transaction each), and the server's committed-transaction counter.
final class PostgresBench {
    let server: PostgresStoreURL
    /// The scratch database's URL (the daemon's `--store`).
    let url: String
    let database: String
    private let logger = Logger(label: "joblog-bench-postgres")

    /// Creates the scratch database through the URL's database.
    init(url text: String) async throws {
        var server = try PostgresStoreURL(parsing: text)
        if server.password == nil, let password = ProcessInfo.processInfo.environment["PGPASSWORD"] {
            server.password = password
        }
        self.server = server
        database = "joblog_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10)
        var scratch = server
        scratch.database = database
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = server.user
        components.password = server.password
        components.host = server.host
        components.port = server.port
        components.path = "/" + database
        components.queryItems = [URLQueryItem(name: "sslmode", value: "disable")]
        url = components.string ?? scratch.redacted
        let admin = try await Self.connect(server, logger: logger)
        defer { Task { try? await admin.close() } }
        _ = try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"), logger: logger).collect()
    }

    static func connect(_ url: PostgresStoreURL, logger: Logger) async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: try url.tls())
        return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
    }

    /// A connection to the scratch database.
    func connect() async throws -> PostgresConnection {
        var scratch = server
        scratch.database = database
        return try await Self.connect(scratch, logger: logger)
    }

    /// Rows per second inserting `rows` log rows (the ingest scenario's rows) into one run, 1,000
    /// per multi-row `INSERT`, one transaction each, ids from the store's sequence. The schema
    /// must exist (a daemon on this database migrated it).
    func baselineRate(rows: Int) async throws -> Double {
        let connection = try await connect()
        defer { Task { try? await connection.close() } }
        let run = try await connection.query(
            """
            INSERT INTO runs (job_name, status, trigger, scope, started_at, last_heartbeat_at)
            VALUES ('baseline', 'RUNNING', 'MANUAL', 'system', 0, 0) RETURNING id
            """, logger: logger
        ).collect().first!.decode(Int64.self)
        let messages = (0..<rows).map { ByteBuffer(string: "processed item \($0)") }
        let contexts = (0..<rows).map { Workload.storedContext($0) }
        let chunk = 1000
        var statements: [Int: String] = [:]
        func sql(_ count: Int) -> String {
            if let s = statements[count] { return s }
            var s = "INSERT INTO logs (id, run_id, level, stage, message, context, created_at) VALUES "
            for i in 0..<count {
                let n = i * 4
                s += i == 0 ? "" : ", "
                s += "(nextval('logs_id_seq'), $\(n + 1), 1, NULL, $\(n + 2), $\(n + 3), $\(n + 4))"
            }
            statements[count] = s
            return s
        }
        let t0 = now()
        var i = 0
        while i < rows {
            let end = min(rows, i + chunk)
            var binds = PostgresBindings(capacity: (end - i) * 4)
            for r in i..<end {
                binds.append(run)
                binds.append(messages[r])
                binds.append(contexts[r])
                binds.append(Int64(r))
            }
            _ = try await connection.query("BEGIN", logger: logger).collect()
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql(end - i), binds: binds), logger: logger)
                .collect()
            _ = try await connection.query("COMMIT", logger: logger).collect()
            i = end
        }
        return Double(rows) / (now() - t0)
    }

    /// Transactions committed in the scratch database so far (`pg_stat_database.xact_commit`, a
    /// fresh snapshot; this query itself is one).
    func committedTransactions(on connection: PostgresConnection) async throws -> Int64 {
        _ = try await connection.query("SELECT pg_stat_clear_snapshot()", logger: logger).collect()
        return try await connection.query(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", logger: logger
        ).collect().first!.decode(Int64.self)
    }

    /// Drops the scratch database (the daemons on it must have stopped).
    func drop() async {
        guard let admin = try? await Self.connect(server, logger: logger) else { return }
        _ = try? await admin.query(
            PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"), logger: logger
        ).collect()
        try? await admin.close()
    }
}
