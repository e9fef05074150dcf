/// 2. Progress storm: one connection sends a flood of `incrementProgress`; the run ends with the exact count.
enum StormScenario {
    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) throws {
        // The median of three storms.
        var rates: [Double] = []
        for _ in 0..<3 { rates.append(try storm(daemon, sizes)) }
        rates.sort()
        report.add(
            Figure(
                name: "progress storm", value: rates[1], unit: "increments/s", target: "≥ 1,500,000/s, exact count",
                met: rates[1] >= 1_500_000, note: "median of 3, count exact each time"))
    }

    /// One storm; throws unless the run ends with the exact count.
    static func storm(_ daemon: DaemonUnderTest, _ sizes: Sizes) throws -> Double {
        let s = try LineSocket(path: daemon.socketPath)
        let run = try Workload.runID(try s.call(Workload.startRun("storm")))
        let chunks = Workload.chunks(Array(repeating: Workload.increment(run: run), count: sizes.storm))
        let t0 = now()
        for chunk in chunks { try s.write(chunk) }
        _ = try s.call(Workload.ping(2))
        let elapsed = now() - t0
        let response = try s.call(#"{"jsonrpc":"2.0","method":"getProgress","params":{"jobRunId":"\#(run)"},"id":3}"#)
        guard response.contains(#""progressCurrent":\#(sizes.storm),"#) else {
            throw BenchError("progress storm: the count is not exact: \(response)")
        }
        return Double(sizes.storm) / elapsed
    }
}
