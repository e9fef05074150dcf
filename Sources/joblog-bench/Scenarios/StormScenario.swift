/// 2. Progress storm: one connection sends a flood of `incrementProgress`; the run ends with the exact count.
enum StormScenario {
    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) throws {
        let s = try LineSocket(path: daemon.socketPath)
        let run = try Workload.runID(try s.call(Workload.startRun("storm")))
        let chunks = Workload.chunks(Array(repeating: Workload.increment(run: run), count: sizes.storm))
        let t0 = now()
        for chunk in chunks { try s.write(chunk) }
        _ = try s.call(Workload.ping(2))
        let elapsed = now() - t0
        let response = try s.call(#"{"jsonrpc":"2.0","method":"getProgress","params":{"jobRunId":"\#(run)"},"id":3}"#)
        let exact = response.contains(#""progressCurrent":\#(sizes.storm),"#)
        if !exact { throw BenchError("progress storm: the count is not exact: \(response)") }
        let rate = Double(sizes.storm) / elapsed
        report.add(
            Figure(
                name: "progress storm", value: rate, unit: "increments/s", target: "≥ 1,000,000/s, exact count",
                met: rate >= 1_000_000 && exact, note: "count exact"))
    }
}
