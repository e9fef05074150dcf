import Foundation

/// 7. Footprint: resident memory idle, with idle connections, and the peak under ingest; start-up time.
enum FootprintScenario {
    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) throws {
        report.add(Figure(name: "start-up until the socket answers", value: daemon.startupSeconds * 1000, unit: "ms"))
        usleep(200_000)
        let (idle, _, idlePrivate) = daemon.memory()
        report.add(
            Figure(
                name: "daemon RSS idle", value: Double(idle) / 1_048_576, unit: "MiB", target: "< 30 MB",
                met: idle < 30_000_000, note: "private \(mebibytes(idlePrivate)) MiB, the rest shared libraries"))
        var connections: [LineSocket] = []
        for _ in 0..<sizes.idleConnections { connections.append(try LineSocket(path: daemon.socketPath)) }
        _ = try connections.last?.call(Workload.ping(1))
        usleep(300_000)
        let (withIdle, _, withIdlePrivate) = daemon.memory()
        let full = sizes.idleConnections >= 1000
        report.add(
            Figure(
                name: "daemon RSS with \(sizes.idleConnections) idle connections", value: Double(withIdle) / 1_048_576,
                unit: "MiB", target: full ? "< 150 MB" : nil, met: full ? withIdle < 150_000_000 : nil,
                note: "private \(mebibytes(withIdlePrivate)) MiB"))
        connections.removeAll()
    }

    static func mebibytes(_ bytes: Int) -> String { Report.number(Double(bytes) / 1_048_576) }

    /// After the other scenarios: the peak.
    static func peak(_ daemon: DaemonUnderTest, into report: inout Report) {
        report.add(
            Figure(
                name: "daemon peak RSS (after all scenarios)", value: Double(daemon.memory().peak) / 1_048_576,
                unit: "MiB"))
    }
}
