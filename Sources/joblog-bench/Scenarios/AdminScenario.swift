import Foundation

/// 4. Admin queries on a big store (10,000,000 log rows over 10,000 runs in the full run),
/// alone and while ingest runs.
enum AdminScenario {
    struct Query {
        let name: String
        let line: (Int) -> String
    }

    static func populate(_ daemon: DaemonUnderTest, runs: Int, logsPerRun: Int) throws -> [String] {
        let s = try LineSocket(path: daemon.socketPath)
        var ids: [String] = []
        var lines: [String] = []
        lines.reserveCapacity(50_000)
        for r in 0..<runs {
            let run = try Workload.runID(try s.call(Workload.startRun("store-\(r % 50)", id: r + 10)))
            ids.append(run)
            for i in 0..<logsPerRun { lines.append(Workload.info(run: run, i, level: i % 100 == 7 ? "error" : "info")) }
            lines.append(
                #"{"jsonrpc":"2.0","method":"setTotal","params":{"jobRunId":"\#(run)","total":\#(logsPerRun)}}"#)
            lines.append(
                #"{"jsonrpc":"2.0","method":"setProgress","params":{"jobRunId":"\#(run)","current":\#(logsPerRun / 2)}}"#
            )
            if lines.count >= 50_000 || r == runs - 1 {
                for chunk in Workload.chunks(lines) { try s.write(chunk) }
                _ = try s.call(Workload.ping(3))
                lines.removeAll(keepingCapacity: true)
            }
        }
        return ids
    }

    static func measure(_ s: LineSocket, _ q: Query, count: Int) throws -> (Double, Double) {
        var samples: [Double] = []
        for i in 0..<count {
            let t = now()
            _ = try s.call(q.line(i))
            samples.append(now() - t)
        }
        samples.sort()
        return (percentile(samples, 0.5), percentile(samples, 0.99))
    }

    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) throws {
        let t0 = now()
        let ids = try populate(daemon, runs: sizes.storeRuns, logsPerRun: sizes.logsPerRun)
        let rows = sizes.storeRuns * sizes.logsPerRun
        report.facts.append(
            ("big store", "\(rows) log rows over \(ids.count) runs, loaded in \(String(format: "%.1f", now() - t0)) s"))
        var rng = SystemRandomNumberGenerator()
        let picks = (0..<sizes.queries).map { _ in ids[Int.random(in: 0..<ids.count, using: &rng)] }
        let middles = (0..<sizes.queries).map { _ in Int.random(in: 0..<max(1, rows), using: &rng) }
        let queries = [
            Query(name: "getLogs level=error limit 100") { i in
                #"{"jsonrpc":"2.0","method":"getLogs","params":{"jobRunId":"\#(picks[i])","level":"error","limit":100},"id":1}"#
            },
            Query(name: "getLogs afterId paging, limit 100") { i in
                #"{"jsonrpc":"2.0","method":"getLogs","params":{"jobRunId":"\#(picks[i])","afterId":\#(middles[i]),"limit":100},"id":1}"#
            },
            Query(name: "getLogs newest, limit 100") { i in
                #"{"jsonrpc":"2.0","method":"getLogs","params":{"jobRunId":"\#(picks[i])","limit":100},"id":1}"#
            },
            Query(name: "getLogs level=warning afterId paging, limit 100") { i in
                #"{"jsonrpc":"2.0","method":"getLogs","params":{"jobRunId":"\#(picks[i])","level":"warning","afterId":\#(middles[i]),"limit":100},"id":1}"#
            },
            Query(name: "getProgress") { i in
                #"{"jsonrpc":"2.0","method":"getProgress","params":{"jobRunId":"\#(picks[i])"},"id":1}"#
            },
            Query(name: "listRuns limit 50") { _ in
                #"{"jsonrpc":"2.0","method":"listRuns","params":{"limit":50},"id":1}"#
            },
        ]
        let s = try LineSocket(path: daemon.socketPath)
        for q in queries {
            let (p50, p99) = try measure(s, q, count: sizes.queries)
            let isLogs = q.name.hasPrefix("getLogs")
            report.add(
                Figure(
                    name: "\(q.name) p99", value: p99 * 1000, unit: "ms", target: isLogs ? "< 5 ms" : nil,
                    met: isLogs ? p99 < 0.005 : nil, note: "p50 \(Report.number(p50 * 1000)) ms"))
        }
        // The same while a client streams ingest.
        let stop = Counter()
        let ingested = Counter()
        let socketPath = daemon.socketPath
        let writer = Thread {
            guard let w = try? LineSocket(path: socketPath),
                let run = try? Workload.runID(try w.call(Workload.startRun("background")))
            else { return }
            let chunk = Workload.chunks((0..<5000).map { Workload.info(run: run, $0) })
            while stop.value == 0 {
                for c in chunk { try? w.write(c) }
                _ = try? w.call(Workload.ping(5))
                ingested.add(5000)
            }
        }
        writer.start()
        usleep(200_000)
        let t1 = now()
        for q in queries where q.name.hasPrefix("getLogs") {
            let (p50, p99) = try measure(s, q, count: sizes.queries)
            report.add(
                Figure(
                    name: "\(q.name) p99, during ingest", value: p99 * 1000, unit: "ms", target: "< 5 ms",
                    met: p99 < 0.005,
                    note: "p50 \(Report.number(p50 * 1000)) ms"))
        }
        let rate = Double(ingested.value) / (now() - t1)
        stop.add()
        report.facts.append(("ingest during the admin queries", "\(Int(rate)) events/s"))
        usleep(300_000)
    }
}
