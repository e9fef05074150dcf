import Foundation
import JobLogTestSupport
import Testing

/// How long an entry committed through `a` takes to reach a watcher of `b` (printed, not
/// asserted: the machine decides). Each entry is a request, so the clock starts once `a` has
/// acknowledged it, that is after its commit.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct CrossNodeWatchLatencyTests {
    @Test func crossNodeLatencyIsMeasured() throws {
        let pair = try CrossNodePair(aArguments: ["--flush-interval-ms", "1"])
        try pair.waitUntilListening()
        let watcher = try pair.b.connect()
        _ = try watcher.result("watch", ["jobName": "latency", "level": "info"])
        let job = try pair.a.connect()
        let id = try #require(try job.result("startRun", ["jobName": "latency"])["jobRunId"] as? String)
        let count = 1000
        var latencies: [Double] = []
        for i in 0..<count {
            _ = try job.result("info", ["jobRunId": id, "message": "tick \(i)"])
            let committed = Date()
            let seen = try CrossNodeEvents.read(watcher, until: Date().addingTimeInterval(10)) {
                ($0["log"] as? [String: Any])?["message"] as? String == "tick \(i)"
            }
            if (seen.last?["log"] as? [String: Any])?["message"] as? String == "tick \(i)" {
                latencies.append(Date().timeIntervalSince(committed) * 1000)
            }
        }
        _ = try job.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
        #expect(latencies.count == count, "every entry reached b")
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        if !sorted.isEmpty {
            print(
                String(
                    format:
                        "cross-node watch latency over %d entries (commit on a -> event on b): p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                    sorted.count, percentile(0.5), percentile(0.99), sorted.last ?? 0))
        }
        #expect(pair.stop() == (0, 0))
    }
}
