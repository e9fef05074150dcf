/// 3. Acknowledged calls: `ping` and `info`-as-a-request round trips, alone and from 8 clients.
enum AckScenario {
    static func latency(_ s: LineSocket, count: Int, line: String) throws -> (Double, Double) {
        let bytes = Array((line + "\n").utf8)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let t = now()
            try s.write(bytes)
            try s.readLine()
            samples.append(now() - t)
        }
        samples.sort()
        return (percentile(samples, 0.5), percentile(samples, 0.99))
    }

    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, baselines: Baselines, into report: inout Report) throws {
        let s = try LineSocket(path: daemon.socketPath)
        let run = try Workload.runID(try s.call(Workload.startRun("acks")))
        // Five rounds, each the raw ping-pong then the daemon's ping, so that both see the same
        // machine; the figure is the median round (core placement moves both by 3x here).
        var rounds: [(Double, Double, Double, Double)] = []
        for _ in 0..<5 {
            let (b50, b99) = try PingPongBaseline.latency(
                path: baselines.echoPath, count: max(50, sizes.roundTrips / 5))
            let (d50, d99) = try latency(s, count: max(50, sizes.roundTrips / 5), line: Workload.ping(7))
            rounds.append((d50, b50, d99, b99))
        }
        rounds.sort { $0.0 / $0.1 < $1.0 / $1.1 }
        let (p50, base50, p99, base99) = rounds[rounds.count / 2]
        report.add(
            Figure(
                name: "ping p50", value: p50 * 1e6, unit: "µs", baselineName: "raw ping-pong p50",
                baseline: base50 * 1e6, target: "≤ 1.5× raw ping-pong", met: p50 <= 1.5 * base50,
                note: "median of 5 interleaved rounds"))
        report.add(
            Figure(
                name: "ping p99", value: p99 * 1e6, unit: "µs", baselineName: "raw ping-pong p99",
                baseline: base99 * 1e6))
        let info =
            #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"\#(run)","message":"acknowledged","context":{"k":1}},"id":9}"#
        let (i50, i99) = try latency(s, count: sizes.roundTrips, line: info)
        report.add(Figure(name: "acknowledged info p50, 1 client", value: i50 * 1e6, unit: "µs"))
        report.add(Figure(name: "acknowledged info p99, 1 client", value: i99 * 1e6, unit: "µs"))
        let runs = try (0..<8).map { c in try Workload.runID(try s.call(Workload.startRun("acks-\(c)"))) }
        let commitsBefore = WalCommits.count(databasePath: daemon.databasePath)
        let t0 = now()
        let rate = try PingPongBaseline.throughput(
            path: daemon.socketPath, clients: 8, each: max(1, sizes.roundTrips / 2)
        ) { c in
            #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"\#(runs[c])","message":"acknowledged"},"id":1}"#
        }
        report.add(
            Figure(
                name: "acknowledged info, 8 clients", value: rate, unit: "calls/s",
                baselineName: "direct writes from 8 threads",
                baseline: baselines.directWrite8, target: "≥ 1.0× direct writes from 8 threads",
                met: rate >= baselines.directWrite8))
        report.add(
            Figure(
                name: "acknowledged info, 8 clients (moonshot)", value: rate, unit: "calls/s",
                baselineName: "group-commit bound",
                baseline: baselines.groupCommit8, target: "≥ 0.8× group-commit bound",
                met: rate >= 0.8 * baselines.groupCommit8))
        if let before = commitsBefore, let after = WalCommits.count(databasePath: daemon.databasePath) {
            let commits = Double(after &- before)
            let calls = Double(8 * max(1, sizes.roundTrips / 2))
            report.add(
                Figure(
                    name: "acknowledged info, 8 clients: commits", value: commits / (now() - t0), unit: "commits/s",
                    note: "\(Report.number(calls / max(1, commits))) rows per commit"))
        }
    }
}
