import Foundation

/// 0. Instructions the daemon executes per ingested `info` (about 60 bytes of context) and per
/// `incrementProgress`, counted by callgrind: repeatable to well under 1% on a noisy machine.
///
/// Each figure is one burst of notifications and a final `ping` (answered once they are all
/// committed), minus an idle window of the same length (a `ping` after a pause: timers, the
/// round trip, callgrind's own start and stop of the count), divided by the count.
enum InstructionScenario {
    static func run(binary: String?, count: Int, setupSQL: String? = nil, into report: inout Report) throws {
        let missing = CallgrindDaemon.missingTools()
        guard missing.isEmpty else {
            throw BenchError("instruction counts need \(missing.joined(separator: ", ")) (apt-get install valgrind)")
        }
        let daemon = try CallgrindDaemon(binary: binary)
        defer { daemon.stop() }
        if let setupSQL {
            try daemon.execute(setupSQL)
            report.facts.append(("instruction counts: schema variant", setupSQL))
        }
        let s = try LineSocket(path: daemon.socketPath)
        let run = try Workload.runID(try s.call(Workload.startRun("instructions")))
        let infos = Workload.chunks((0..<count).map { Workload.shortInfo(run: run, $0) })
        let increments = Workload.chunks(Array(repeating: Workload.increment(run: run), count: count))
        // A first round warms the caches of the writer (run row, statements) and the allocator.
        _ = try burst(daemon, s, Workload.chunks((0..<min(count, 1000)).map { Workload.shortInfo(run: run, $0) }))
        _ = try burst(daemon, s, Workload.chunks(Array(repeating: Workload.increment(run: run), count: 100)))
        let info = try burst(daemon, s, infos) / Double(count)
        let increment = try burst(daemon, s, increments) / Double(count)
        report.add(
            Figure(
                name: "instructions per info (callgrind, daemon side)", value: info, unit: "instructions",
                target: "≤ 30,000", met: info <= 30_000, note: "\(count) events, ~60-byte context"))
        report.add(
            Figure(
                name: "instructions per incrementProgress (callgrind, daemon side)", value: increment,
                unit: "instructions", target: "≤ 9,000", met: increment <= 9_000, note: "\(count) events"))
    }

    /// Instructions of one burst, minus an idle window as long.
    private static func burst(_ daemon: CallgrindDaemon, _ s: LineSocket, _ chunks: [[UInt8]]) throws -> Double {
        let (busy, seconds) = try daemon.count {
            for chunk in chunks { try s.write(chunk) }
            _ = try s.call(Workload.ping(2))
        }
        let (idle, _) = try daemon.count {
            usleep(UInt32(min(seconds, 30) * 1_000_000))
            _ = try s.call(Workload.ping(2))
        }
        return max(0, busy - idle)
    }
}
