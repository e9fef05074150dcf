import Foundation

/// 7. Footprint: resident memory idle, with idle connections, and the peak under ingest; start-up time.
enum FootprintScenario {
    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) throws {
        report.add(Figure(name: "start-up until the socket answers", value: daemon.startupSeconds * 1000, unit: "ms"))
        usleep(200_000)
        let idle = daemon.memory().rss
        report.add(
            Figure(
                name: "daemon RSS idle", value: Double(idle) / 1_048_576, unit: "MiB", target: "< 30 MB",
                met: idle < 30_000_000))
        var connections: [LineSocket] = []
        for _ in 0..<sizes.idleConnections { connections.append(try LineSocket(path: daemon.socketPath)) }
        _ = try connections.last?.call(Workload.ping(1))
        usleep(300_000)
        let (withIdle, _, withIdlePrivate) = daemon.memory()
        report.add(
            Figure(
                name: "daemon RSS with \(sizes.idleConnections) idle connections", value: Double(withIdle) / 1_048_576,
                unit: "MiB",
                target: sizes.idleConnections >= 1000 ? "< 150 MB" : nil,
                met: sizes.idleConnections >= 1000 ? withIdle < 150_000_000 : nil))
        connections.removeAll()
    }

    /// After the other scenarios: the peak.
    static func peak(_ daemon: DaemonUnderTest, into report: inout Report) {
        report.add(
            Figure(
                name: "daemon peak RSS (after all scenarios)", value: Double(daemon.memory().peak) / 1_048_576,
                unit: "MiB"))
    }
}
