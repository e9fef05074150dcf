import Foundation
import Logging
import PostgresNIO

/// `joblog-bench --store postgres://…`: the daemon on the PostgreSQL store (issue 17), against a
/// raw baseline into the same server measured in the same run.
enum PostgresScenario {
    static func run(binary: String?, url: String, _ sizes: Sizes, quick: Bool, into report: inout Report) async throws {
        let pg = try await PostgresBench(url: url)
        do {
            try await measure(binary: binary, pg, sizes, quick: quick, into: &report)
        } catch {
            await pg.drop()
            throw error
        }
        await pg.drop()
    }

    private static func measure(
        binary: String?, _ pg: PostgresBench, _ sizes: Sizes, quick: Bool, into report: inout Report
    ) async throws {
        let daemon = try DaemonUnderTest(binary: binary, arguments: ["--store", pg.url])
        defer { daemon.stop() }
        let probe = try await pg.connect()
        defer { Task { try? await probe.close() } }
        let version =
            try await probe.query("SHOW server_version", logger: Logger(label: "joblog-bench")).collect()
            .first?.decode(String.self) ?? "?"
        report.facts.append(("daemon", daemon.description))
        report.facts.append(
            ("store", "PostgreSQL \(version) at \(pg.server.host):\(pg.server.port), scratch database \(pg.database)"))

        // First, on the fresh database: later bulk loads would add autovacuum's transactions.
        log("PostgreSQL transactions at 1,000 events/s")
        let (tps, rate) = try await transactionsPerSecond(daemon, pg, probe, seconds: quick ? 2 : 10)
        report.add(
            Figure(
                name: "PostgreSQL store: transactions/s caused by 1,000 events/s of ingest", value: tps, unit: "tx/s",
                target: "≤ 25/s", met: tps <= 25,
                note:
                    "xact_commit delta of the database over the paced window, measured first on the fresh database, nobody watching; \(Int(rate.rounded())) events/s sent"
            ))

        // Before the bulk loads too; the second node is gone before them.
        if let binary {
            try await PostgresCrossNode.measure(binary: binary, daemon: daemon, pg, probe, quick: quick, into: &report)
        } else {
            report.facts.append(
                ("cross-node watch", "not measured: it needs the joblogd binary (--joblogd) for a second node"))
        }

        log("raw PostgreSQL baseline")
        let baseline = try await pg.baselineRate(rows: sizes.baselineRows)
        report.add(
            Figure(
                name: "baseline: raw PostgreSQL multi-row INSERT (1,000 rows/transaction, 1 connection)",
                value: baseline, unit: "rows/s"))

        log("ingest (PostgreSQL)")
        let one = try IngestScenario.rate(daemon, total: sizes.ingest, connections: 1, name: "pg-ingest")
        report.add(
            Figure(
                name: "PostgreSQL store: ingest, 1 connection", value: one, unit: "events/s",
                baselineName: "raw PostgreSQL multi-row INSERT", baseline: baseline,
                target: "≥ 0.5× raw multi-row INSERT", met: one >= 0.5 * baseline))

        log("progress storm (PostgreSQL)")
        var rates: [Double] = []
        for _ in 0..<3 { rates.append(try StormScenario.storm(daemon, sizes)) }
        rates.sort()
        report.add(
            Figure(
                name: "PostgreSQL store: progress storm", value: rates[1], unit: "increments/s",
                target: "≥ 1,000,000/s, exact count", met: rates[1] >= 1_000_000,
                note: "median of 3, count exact each time"))

    }

    /// `info` notifications paced at 1,000/s from one connection for `seconds`: the transactions
    /// the server committed in the scratch database per second of it (the daemon's group commits,
    /// plus anything else the daemon did meanwhile), and the rate actually sent.
    static func transactionsPerSecond(
        _ daemon: DaemonUnderTest, _ pg: PostgresBench, _ probe: PostgresConnection, seconds: Double
    ) async throws -> (Double, Double) {
        let s = try LineSocket(path: daemon.socketPath)
        let run = try Workload.runID(try s.call(Workload.startRun("pg-paced")))
        _ = try s.call(Workload.ping(2))
        // Let the server publish the counts of what came before (a backend flushes its statistics
        // at most once a second).
        try await Task.sleep(for: .milliseconds(1500))
        let before = try await pg.committedTransactions(on: probe)
        let perSecond = 1000.0
        var sent = 0
        let t0 = now()
        while true {
            let elapsed = now() - t0
            if elapsed >= seconds { break }
            let due = Int(elapsed * perSecond)
            if due > sent {
                var bytes: [UInt8] = []
                for i in sent..<due {
                    bytes.append(contentsOf: Workload.info(run: run, i).utf8)
                    bytes.append(0x0A)
                }
                try s.write(bytes)
                sent = due
            }
            usleep(1000)
        }
        _ = try s.call(Workload.ping(3))
        let window = now() - t0
        try await Task.sleep(for: .milliseconds(1500))
        // Minus the probe's own two statements of the first reading.
        let after = try await pg.committedTransactions(on: probe) - 2
        return (Double(after - before) / window, Double(sent) / window)
    }

    static func log(_ s: String) { FileHandle.standardError.write(Data("joblog-bench: \(s)\n".utf8)) }
}
