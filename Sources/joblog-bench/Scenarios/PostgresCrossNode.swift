import Foundation
import PostgresNIO
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The fleet half of `joblog-bench --store postgres://…`: a second daemon (`--node-name
/// bench-b`) on the same scratch database with a watcher of every run, while the first one
/// ingests. What a watcher elsewhere costs the database, and how long a commit on `a` takes to
/// reach the watcher on `b`.
enum PostgresCrossNode {
    static func measure(
        binary: String, daemon a: DaemonUnderTest, _ pg: PostgresBench, _ probe: PostgresConnection, quick: Bool,
        into report: inout Report
    ) async throws {
        let b = try DaemonUnderTest(binary: binary, arguments: ["--store", pg.url, "--node-name", "bench-b"])
        defer { b.stop() }
        let watcher = try WatchReader(socketPath: b.socketPath)
        defer { watcher.close() }
        try waitUntilHeard(a, watcher)

        PostgresScenario.log("PostgreSQL transactions at 1,000 events/s, watched from a second node")
        let (tps, rate) = try await PostgresScenario.transactionsPerSecond(a, pg, probe, seconds: quick ? 2 : 10)
        report.add(
            Figure(
                name: "PostgreSQL store: transactions/s at 1,000 events/s with a watcher on a second node", value: tps,
                unit: "tx/s",
                note:
                    "the whole database's: a's group commits and housekeeping, b's housekeeping, and per NOTIFY b's wake-up (a read-only transaction) and look; \(Int(rate.rounded())) events/s sent"
            ))

        PostgresScenario.log("cross-node watch latency")
        let count = quick ? 100 : 1000
        let job = try LineSocket(path: a.socketPath)
        let run = try Workload.runID(try job.call(Workload.startRun("bench-latency")))
        var latencies: [Double] = []
        for i in 0..<count {
            let marker = "lat-\(i)"
            _ = try job.call(markerRequest(run: run, marker, id: i + 10))
            let committed = now()
            guard let seen = watcher.wait(for: marker, timeout: 10) else {
                throw BenchError("the watcher on b never saw \(marker)")
            }
            latencies.append(max(0, seen - committed) * 1000)
        }
        latencies.sort()
        let p99 = percentile(latencies, 0.99)
        report.add(
            Figure(
                name: "PostgreSQL store: cross-node watch latency p99 (commit on a → event on b)", value: p99,
                unit: "ms", target: "< 100 ms", met: p99 < 100,
                note:
                    "\(count) entries, each acknowledged (committed) by a before the clock starts; p50 \(String(format: "%.1f", percentile(latencies, 0.5))) ms"
            ))
    }

    /// An `info` request (answered once committed) whose message is `marker`.
    private static func markerRequest(run: String, _ marker: String, id: Int) -> String {
        #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"\#(run)","message":"\#(marker)"},"id":\#(id)}"#
    }

    /// Until b listens, what a commits reaches b's watcher only by b's sweep: wait until an entry
    /// written through a shows up promptly.
    private static func waitUntilHeard(_ a: DaemonUnderTest, _ watcher: WatchReader) throws {
        let job = try LineSocket(path: a.socketPath)
        let run = try Workload.runID(try job.call(Workload.startRun("bench-warm-up")))
        for i in 0..<200 {
            let marker = "warm-\(i)"
            _ = try job.call(markerRequest(run: run, marker, id: i + 10))
            if watcher.wait(for: marker, timeout: 0.3) != nil { return }
        }
        throw BenchError("the second daemon never saw the first one's entries")
    }
}

/// A `watch` of every run (level info) on a socket, read on a thread of its own: when each
/// marker message arrived.
final class WatchReader {
    private let socket: LineSocket
    private let arrivals = Arrivals()

    init(socketPath: String) throws {
        let socket = try LineSocket(path: socketPath, session: false)
        _ = try socket.call(#"{"jsonrpc":"2.0","method":"watch","params":{"level":"info"},"id":1}"#)
        self.socket = socket
        let arrivals = self.arrivals
        let thread = Thread {
            while let line = try? socket.readLineText() {
                guard let range = line.range(of: #""message":""#) else { continue }
                let rest = line[range.upperBound...]
                guard let end = rest.firstIndex(of: "\"") else { continue }
                let message = String(rest[..<end])
                guard message.hasPrefix("lat-") || message.hasPrefix("warm-") else { continue }
                let at = now()
                arrivals.seen.withLock { s in
                    s[message] = at
                    if s.count > 10_000 { s.removeAll() }
                }
            }
        }
        thread.start()
    }

    /// When `marker` arrived, waiting up to `timeout` seconds for it.
    func wait(for marker: String, timeout: Double) -> Double? {
        let deadline = now() + timeout
        while now() < deadline {
            if let at = arrivals.seen.withLock({ $0.removeValue(forKey: marker) }) { return at }
            usleep(200)
        }
        return nil
    }

    func close() { shutdown(socket.fd, Int32(SHUT_RDWR)) }
}

/// When each marker arrived (the reader thread writes, the scenario takes).
private final class Arrivals: Sendable {
    let seen = Mutex<[String: Double]>([:])
}
