import Foundation

/// 5. Watchers: the ingest rate with 0, 10 and 100 live `watch` subscribers, as dashboards
/// watch: every run's lifecycle, stages, progress and outcomes, and log entries from
/// `warning` up. One more figure: 10 watchers that take every single log entry (the firehose).
enum WatchScenario {
    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) throws {
        var rates: [Int: Double] = [:]
        for count in sizes.watcherCounts {
            let watchers = try (0..<count).map { _ in try LineSocket(path: daemon.socketPath) }
            for w in watchers {
                _ = try w.call(#"{"jsonrpc":"2.0","method":"watch","params":{"level":"warning"},"id":1}"#)
            }
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
        // The firehose: 10 watchers reading every log entry.
        let firehose = try (0..<10).map { _ in try LineSocket(path: daemon.socketPath) }
        for w in firehose { _ = try w.call(#"{"jsonrpc":"2.0","method":"watch","id":1}"#) }
        let stop = Counter()
        for w in firehose {
            Thread.detachNewThread {
                while stop.value == 0 { if (try? w.readLine()) == nil { return } }
            }
        }
        let rate = try IngestScenario.rate(daemon, total: sizes.watchIngest, connections: 1, name: "firehose")
        stop.add()
        for w in firehose { shutdown(w.fd, Int32(SHUT_RDWR)) }
        report.add(
            Figure(
                name: "ingest with 10 watchers of every log entry", value: rate, unit: "events/s",
                baselineName: "0 watchers",
                baseline: rates[0], note: "each event written 10 more times"))
    }
}
