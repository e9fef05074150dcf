import Foundation

/// 5. Watchers: the ingest rate with 0, 10 and 100 live `watch` subscribers reading everything.
enum WatchScenario {
    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) throws {
        var rates: [Int: Double] = [:]
        for count in sizes.watcherCounts {
            let watchers = try (0..<count).map { _ in try LineSocket(path: daemon.socketPath) }
            for w in watchers { _ = try w.call(#"{"jsonrpc":"2.0","method":"watch","id":1}"#) }
            let stop = Counter()
            for w in watchers {
                Thread.detachNewThread {
                    while stop.value == 0 { if (try? w.readLine()) == nil { return } }
                }
            }
            let rate = try IngestScenario.rate(
                daemon, total: sizes.watchIngest, connections: 1, name: "watched-\(count)")
            stop.add()
            for w in watchers { shutdown(w.fd, Int32(SHUT_RDWR)) }
            rates[count] = rate
            let base = rates[0]
            let isMax = count == sizes.watcherCounts.last && count > 0
            report.add(
                Figure(
                    name: "ingest with \(count) watchers", value: rate, unit: "events/s",
                    baselineName: count == 0 ? nil : "0 watchers", baseline: count == 0 ? nil : base,
                    target: isMax ? "≥ 0.8× with 0 watchers" : nil, met: isMax ? base.map { rate >= 0.8 * $0 } : nil))
            usleep(200_000)
        }
    }
}
