import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// 8. The HTTP admin service (issue 13), on its own daemon with HTTP on: the idle memory it
/// adds, the size of the web UI, `getLogs`/`getProgress` latency over HTTP on the big store
/// (`http`), and ingest while 50 WebSocket viewers watch every run, `info` and up (`viewers`).
/// Needs the `joblogd` binary (the in-process `serve` has no HTTP service).
enum HTTPScenario {
    static let viewers = 50

    static func run(binary: String?, _ sizes: Sizes, into report: inout Report) throws {
        guard let binary else {
            report.facts.append(("http", "skipped: needs the joblogd binary (--joblogd)"))
            return
        }
        // Idle memory: the same daemon with and without the HTTP service, both answered once;
        // three fresh pairs, the median (which code pages a start maps varies with the page cache).
        var extras: [(rss: Int, anonymous: Int)] = []
        for _ in 0..<3 {
            let plain = try DaemonUnderTest(binary: binary)
            let (web, port, _) = try WebDaemon.start(binary: binary)
            _ = try TCPClient(port: port).get("/healthz", token: nil)
            usleep(500_000)
            let (on, off) = (web.memory(), plain.memory())
            extras.append((on.rss - off.rss, on.anonymous - off.anonymous))
            web.stop()
            plain.stop()
        }
        extras.sort { $0.rss < $1.rss }
        let mib = { (bytes: Int) in String(format: "%.2f", Double(bytes) / 1_048_576) }
        report.add(
            Figure(
                name: "HTTP service: extra RSS when idle", value: Double(extras[1].rss) / 1_048_576, unit: "MiB",
                target: "< 3 MB", met: Double(extras[1].rss) < 3_000_000,
                note: "RSS with --http on minus with --http off, fresh daemons, median of 3 pairs ("
                    + extras.map { mib($0.rss) }.joined(separator: ", ") + " MiB); private (anonymous) "
                    + mib(extras[1].anonymous) + " MiB"))

        let (web, port, token) = try WebDaemon.start(binary: binary)
        defer { web.stop() }
        let client = try TCPClient(port: port)

        // The page and everything it references.
        let pageBytes = try pageSize(client, token: token)
        report.add(
            Figure(
                name: "GET / plus its assets", value: Double(pageBytes) / 1000, unit: "kB",
                target: "< 100 KB", met: pageBytes < 100_000))

        // Latency on the big store.
        let ids = try AdminScenario.populate(web, runs: sizes.storeRuns, logsPerRun: sizes.logsPerRun)
        var rng = SystemRandomNumberGenerator()
        for (name, suffix, limit) in [
            ("HTTP GET /logs?level=error&limit=100 p99", "/logs?level=error&limit=100", 5.0),
            ("HTTP GET /progress p99", "/progress", 2.0),
        ] {
            var samples: [Double] = []
            for _ in 0..<sizes.queries {
                let id = ids[Int.random(in: 0..<ids.count, using: &rng)]
                let t = now()
                let (status, _) = try client.get("/api/admin/jobs/\(id)\(suffix)", token: token)
                samples.append(now() - t)
                guard status == 200 else { throw BenchError("\(name): status \(status)") }
            }
            samples.sort()
            let p99 = percentile(samples, 0.99) * 1000
            report.add(
                Figure(
                    name: name, value: p99, unit: "ms", target: "< \(Int(limit)) ms", met: p99 < limit,
                    note: "\(sizes.storeRuns * sizes.logsPerRun) log rows, one keep-alive connection"))
        }
    }

    /// Ingest with and without 50 WebSocket viewers of every run (`info` and up), on a daemon
    /// with the HTTP service on, its default live log rate; and what each viewer received.
    static func viewers(binary: String?, _ sizes: Sizes, into report: inout Report) throws {
        guard let binary else {
            report.facts.append(("viewers", "skipped: needs the joblogd binary (--joblogd)"))
            return
        }
        // JOBLOG_BENCH_LIVE_RATE=N passes --http-live-rate N (0: no limit), to compare.
        let rate = ProcessInfo.processInfo.environment["JOBLOG_BENCH_LIVE_RATE"]
        let (web, port, token) = try WebDaemon.start(
            binary: binary, arguments: rate.map { ["--http-live-rate", $0] } ?? [])
        defer { web.stop() }
        // Three rounds, each ingest without viewers then with 50 fresh ones; the round with the
        // median ratio is reported (each ingest lasts a few seconds on this machine: one round is noisy).
        var rounds: [(none: Double, watched: Double, perViewer: Double)] = []
        for round in 0..<3 {
            let none = try IngestScenario.rate(
                web, total: sizes.viewersIngest, connections: 1, name: "http-none-\(round)")
            let (watched, perViewer) = try withViewers(port: port, token: token) {
                try IngestScenario.rate(web, total: sizes.viewersIngest, connections: 1, name: "http-viewers-\(round)")
            }
            rounds.append((none, watched, perViewer))
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "  round %d: no viewers %.0f events/s, %d viewers %.0f events/s (%.2f×)\n", round + 1,
                        none, viewers, watched, watched / none
                    ).utf8))
        }
        rounds.sort { $0.watched / $0.none < $1.watched / $1.none }
        let (none, watched, perViewer) = rounds[1]
        report.add(
            Figure(
                name: "ingest with \(viewers) WebSocket viewers (info and up)", value: watched, unit: "events/s",
                baselineName: "no viewers", baseline: none, target: "≥ 0.85× with none", met: watched >= 0.85 * none,
                note: "median of 3 rounds; "
                    + String(
                        format: "ratios %.2f, %.2f, %.2f; ", rounds[0].watched / rounds[0].none,
                        rounds[1].watched / rounds[1].none, rounds[2].watched / rounds[2].none)
                    + String(format: "each viewer received %.0f kB/s", perViewer) + "; live rate "
                    + (rate ?? "1000 (default)") + " entries/s"))
    }

    /// Runs `ingest` while 50 WebSocket viewers watch every run (`info` and up), each reading and
    /// discarding; its rate and the kB a second each viewer received.
    static func withViewers(port: Int, token: String, _ ingest: () throws -> Double) throws -> (Double, Double) {
        let stop = Counter()
        let received = Counter()
        var sockets: [TCPClient] = []
        for _ in 0..<viewers {
            let ws = try TCPClient(port: port)
            try ws.webSocket("/api/admin/ws", token: token, send: #"{"watch":{"level":"info"}}"#)
            sockets.append(ws)
            Thread.detachNewThread { received.add(ws.discard { stop.value == 0 }) }
        }
        usleep(200_000)
        let t0 = now()
        let rate = try ingest()
        let seconds = now() - t0
        stop.add()
        for ws in sockets { shutdown(ws.fd, Int32(SHUT_RDWR)) }
        usleep(100_000)
        return (rate, Double(received.value) / Double(viewers) / seconds / 1000)
    }

    /// Bytes of `/` and of every `/assets/…` it (transitively) references.
    static func pageSize(_ client: TCPClient, token: String) throws -> Int {
        var seen: Set<String> = []
        var queue = ["/"]
        var total = 0
        while let path = queue.popLast() {
            guard seen.insert(path).inserted else { continue }
            let (status, body) = try client.get(path, token: token)
            guard status == 200 else { throw BenchError("GET \(path): \(status)") }
            total += body.count
            let text = String(decoding: body, as: UTF8.self)
            var rest = text[...]
            while let r = rest.range(of: "/assets/") {
                let name = rest[r.upperBound...].prefix { $0.isLetter || $0.isNumber || "._-".contains($0) }
                if !name.isEmpty { queue.append("/assets/" + name) }
                rest = rest[r.upperBound...]
            }
        }
        return total
    }
}
