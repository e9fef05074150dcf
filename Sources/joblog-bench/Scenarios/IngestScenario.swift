/// 1. Ingest: notifications streamed as fast as a buffering client sends them, timed from
/// the first byte until a final acknowledged request says all are committed.
enum IngestScenario {
    /// Events per second over `connections` connections, `total` events in all.
    static func rate(_ daemon: DaemonUnderTest, total: Int, connections: Int, name: String = "ingest") throws -> Double
    {
        let each = total / connections
        var prepared: [(LineSocket, [[UInt8]])] = []
        for c in 0..<connections {
            let s = try LineSocket(path: daemon.socketPath)
            let run = try Workload.runID(try s.call(Workload.startRun("\(name)-\(c)")))
            let lines = (0..<each).map { Workload.info(run: run, $0, level: $0 % 100 == 99 ? "error" : "info") }
            prepared.append((s, Workload.chunks(lines)))
        }
        let failures = Counter()
        let work = prepared
        let t0 = now()
        parallel(connections) { c in
            let (s, chunks) = work[c]
            do {
                for chunk in chunks { try s.write(chunk) }
                _ = try s.call(Workload.ping(2))
            } catch {
                failures.add()
            }
        }
        let elapsed = now() - t0
        if failures.value > 0 { throw BenchError("ingest: \(failures.value) connections failed") }
        return Double(each * connections) / elapsed
    }

    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, baselines: Baselines, into report: inout Report) throws {
        let one = try rate(daemon, total: sizes.ingest, connections: 1)
        report.add(
            Figure(
                name: "ingest, 1 connection", value: one, unit: "events/s", baselineName: "raw SQLite batched insert",
                baseline: baselines.sqliteBatched, target: "≥ 0.8× raw batched insert",
                met: one >= 0.8 * baselines.sqliteBatched))
        report.add(
            Figure(
                name: "ingest vs direct writes", value: one, unit: "events/s",
                baselineName: "direct write, commit per row",
                baseline: baselines.directWrite, target: "≥ 5× direct writes", met: one >= 5 * baselines.directWrite))
        let eight = try rate(daemon, total: sizes.ingest, connections: 8)
        report.add(
            Figure(
                name: "ingest, 8 connections", value: eight, unit: "events/s",
                baselineName: "raw SQLite batched insert",
                baseline: baselines.sqliteBatched))
    }
}
