import Foundation

/// 8. The insight reads on a big history: `getJobStats` (last 1000) and `compareRuns` on a job
/// with 10,000 finished runs (3 stages and 2 counters each), `listJobs` over 1,000 job names
/// (full run; the quick mode uses `storeRuns` runs and a tenth as many names).
enum InsightsScenario {
    static func populate(_ daemon: DaemonUnderTest, runs: Int, names: Int) throws -> [String] {
        let s = try LineSocket(path: daemon.socketPath)
        var ids: [String] = []
        var lines: [String] = []
        func note(_ method: String, _ params: String) {
            lines.append(#"{"jsonrpc":"2.0","method":"\#(method)","params":{\#(params)}}"#)
        }
        for r in 0..<runs {
            let run = try Workload.runID(try s.call(Workload.startRun("history", id: r + 10)))
            ids.append(run)
            for stage in ["Fetching", "Syncing", "Finalizing"] {
                note("setStage", #""jobRunId":"\#(run)","stage":"\#(stage)""#)
                note("incrementProgress", #""jobRunId":"\#(run)","by":\#(r % 7 + 1)"#)
            }
            note("addOutcome", #""jobRunId":"\#(run)","key":"synced","count":\#(r % 100)"#)
            note("addOutcome", #""jobRunId":"\#(run)","key":"errors","count":\#(r % 3)"#)
            note("finishRun", #""jobRunId":"\#(run)","status":"\#(r % 10 == 3 ? "FAILED" : "SUCCESS")""#)
            if lines.count >= 20_000 || r == runs - 1 {
                for chunk in Workload.chunks(lines) { try s.write(chunk) }
                _ = try s.call(Workload.ping(3))
                lines.removeAll(keepingCapacity: true)
            }
        }
        for n in 0..<names {
            let run = try Workload.runID(try s.call(Workload.startRun("name-\(n)", id: n + 10)))
            note("finishRun", #""jobRunId":"\#(run)","status":"SUCCESS""#)
            if lines.count >= 1000 || n == names - 1 {
                for chunk in Workload.chunks(lines) { try s.write(chunk) }
                _ = try s.call(Workload.ping(3))
                lines.removeAll(keepingCapacity: true)
            }
        }
        return ids
    }

    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) throws {
        let runs = sizes.storeRuns
        let names = max(1, sizes.storeRuns / 10)
        let t0 = now()
        let ids = try populate(daemon, runs: runs, names: names)
        report.facts.append(
            (
                "insights history",
                "\(runs) runs of one job and \(names) job names, loaded in \(String(format: "%.1f", now() - t0)) s"
            ))
        var rng = SystemRandomNumberGenerator()
        let picks = (0..<sizes.queries).map { _ in ids[Int.random(in: 0..<ids.count, using: &rng)] }
        let queries: [(AdminScenario.Query, Double)] = [
            (
                AdminScenario.Query(name: "getJobStats last 1000") { _ in
                    #"{"jsonrpc":"2.0","method":"getJobStats","params":{"jobName":"history","last":1000},"id":1}"#
                }, 0.050
            ),
            (
                AdminScenario.Query(name: "compareRuns with the usual run") { i in
                    #"{"jsonrpc":"2.0","method":"compareRuns","params":{"jobRunId":"\#(picks[i])"},"id":1}"#
                }, 0.050
            ),
            (
                AdminScenario.Query(name: "listJobs limit 1000") { _ in
                    #"{"jsonrpc":"2.0","method":"listJobs","params":{"limit":1000},"id":1}"#
                }, 0.020
            ),
        ]
        let s = try LineSocket(path: daemon.socketPath)
        for (q, target) in queries {
            let (p50, p99) = try AdminScenario.measure(s, q, count: sizes.queries)
            report.add(
                Figure(
                    name: "\(q.name) p99", value: p99 * 1000, unit: "ms", target: "< \(Int(target * 1000)) ms",
                    met: p99 < target, note: "p50 \(Report.number(p50 * 1000)) ms"))
        }
    }
}
