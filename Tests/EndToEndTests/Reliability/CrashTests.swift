import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `kill -9` at random points while clients stream: everything acknowledged is stored exactly once,
/// what is stored of each connection is a gap-free prefix of what it sent, and the file stays sound.
///
/// `JOBLOG_CRASH_ITERATIONS` (default 5) sets the number of kills; `Scripts/soak-crash.sh` runs many more.
@Suite struct CrashTests {
    static let clients = 4

    static var iterations: Int {
        Int(ProcessInfo.processInfo.environment["JOBLOG_CRASH_ITERATIONS"] ?? "") ?? 5
    }

    /// What one client sent and what was acknowledged. Each step `s` sends, in order,
    /// `incrementProgress`, `addOutcome` and a log entry whose message carries `s`;
    /// every 16th step the log entry is a request, every 16th (offset 8) a `ping` follows it.
    struct Stream: Sendable {
        var client = 0
        var runID: String?
        /// Steps whose first byte may have reached the daemon.
        var attempted = 0
        /// Steps covered by an answered request.
        var acknowledged = 0
        var unexpected: String?
    }

    static func message(_ client: Int, _ step: Int) -> String { "c\(client) s\(step)" }

    static func stream(_ daemon: TestDaemon, client: Int, iteration: Int, into result: Locked<Stream>) {
        result.withLock { $0.client = client }
        do {
            let c = try daemon.connect()
            let run = try c.result("startRun", ["jobName": "crash-\(iteration)", "params": ["client": client]])
            guard let id = run["jobRunId"] as? String else { return }
            result.withLock { $0.runID = id }
            for step in 0..<1_000_000 {
                result.withLock { $0.attempted = step + 1 }
                try c.notify("incrementProgress", ["jobRunId": id])
                try c.notify("addOutcome", ["jobRunId": id, "key": "steps"])
                let params: [String: Any] = ["jobRunId": id, "message": message(client, step), "context": ["s": step]]
                if step % 16 == 15 {
                    let answer = try c.call(step % 32 == 15 ? "info" : "warning", params)
                    guard answer["result"] != nil else {
                        result.withLock { $0.unexpected = "step \(step): \(answer)" }
                        return
                    }
                    result.withLock { $0.acknowledged = step + 1 }
                } else {
                    try c.notify("info", params)
                    if step % 16 == 7 {
                        guard try c.call("ping")["result"] != nil else { return }
                        result.withLock { $0.acknowledged = step + 1 }
                    }
                }
            }
        } catch {
            // The daemon was killed: the send failed or the answer never came.
        }
    }

    /// What one run holds after the restart.
    struct Stored: Equatable {
        var steps: Int
        var progress: Int
        var outcome: Int
        var logCount: Int
    }

    static func stored(_ check: LineClient, _ stream: Stream) throws -> Stored? {
        guard let id = stream.runID else { return nil }
        let logs = try Reliability.allLogs(check, id)
        let run = try check.result("getRun", ["jobRunId": id])["run"] as? [String: Any] ?? [:]
        let steps = logs.compactMap { ($0["message"] as? String).flatMap { $0.split(separator: " ").last } }
            .compactMap { Int($0.dropFirst()) }
        // Exactly once, in order, without a gap.
        #expect(steps == Array(0..<steps.count), "client \(stream.client): stored steps are not a gap-free prefix")
        let counts = run["logCounts"] as? [String: Int] ?? [:]
        let outcome = (run["outcomeSummary"] as? [String: Int])?["steps"] ?? 0
        return Stored(
            steps: steps.count, progress: run["progressCurrent"] as? Int ?? -1, outcome: outcome,
            logCount: counts.values.reduce(0, +))
    }

    @Test func acknowledgedWritesSurviveRandomKills() throws {
        let daemon = try TestDaemon()
        var rng = SeededGenerator(seed: SeededGenerator.seed())
        var verified: [(Stream, Stored)] = []
        var totals = (attempted: 0, acknowledged: 0, stored: 0)
        for iteration in 0..<Self.iterations {
            let streams = (0..<Self.clients).map { _ in Locked(Stream()) }
            let finished = DispatchSemaphore(value: 0)
            for (i, s) in streams.enumerated() {
                Thread {
                    Self.stream(daemon, client: i, iteration: iteration, into: s)
                    finished.signal()
                }.start()
            }
            // Anywhere from before the first startRun to well into the stream.
            usleep(UInt32.random(in: 0...400_000, using: &rng))
            daemon.kill9()
            for _ in streams { finished.wait() }
            let integrity = Reliability.integrityCheck(daemon)
            #expect(integrity == "ok", "iteration \(iteration): integrity_check says \(integrity)")
            try daemon.start()
            let check = try daemon.connect()
            for s in streams.map(\.current) {
                #expect(s.unexpected == nil, "\(s.unexpected ?? "")")
                guard let stored = try Self.stored(check, s) else {
                    #expect(s.acknowledged == 0)
                    continue
                }
                // Every acknowledged step is there; nothing beyond what was sent.
                #expect(stored.steps >= s.acknowledged, "iteration \(iteration) client \(s.client)")
                #expect(stored.steps <= s.attempted, "iteration \(iteration) client \(s.client)")
                // Counters match the stored prefix: step n's increment and outcome may precede its log entry.
                #expect((stored.steps...stored.steps + 1).contains(stored.progress), "\(stored)")
                #expect((stored.steps...stored.progress).contains(stored.outcome), "\(stored)")
                #expect(stored.progress <= s.attempted && stored.progress >= s.acknowledged)
                #expect(stored.logCount == stored.steps, "logCounts agree with the rows")
                verified.append((s, stored))
                totals.attempted += s.attempted
                totals.acknowledged += s.acknowledged
                totals.stored += stored.steps
            }
        }
        // Later crashes changed nothing of earlier runs.
        let check = try daemon.connect()
        for (s, before) in verified {
            #expect(try Self.stored(check, s) == before, "run \(s.runID ?? "") changed after a later crash")
        }
        #expect(Reliability.integrityCheck(daemon) == "ok")
        print(
            "crash: \(Self.iterations) kills, \(verified.count) runs, steps attempted \(totals.attempted), "
                + "acknowledged \(totals.acknowledged), stored \(totals.stored)")
    }
}
