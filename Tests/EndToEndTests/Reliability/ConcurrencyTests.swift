import Foundation
import JobLogTestSupport
import Testing

/// 64 connections write into one run while 64 others write into a run each, all at once:
/// the final progress, outcome counters and log counts are exact, and each connection's
/// entries are stored in the order it sent them.
@Suite struct ConcurrencyTests {
    static let connections = 64
    static let steps = 300

    /// Each step: `incrementProgress` by `by`, `addOutcome` to `ok` and to the connection's own key,
    /// an `info` or `warning` entry (a request every 25th step), and a final `ping`.
    static func write(_ client: LineClient, run: String, connection: Int, by: Int) throws {
        for step in 0..<steps {
            try client.notify("incrementProgress", ["jobRunId": run, "by": by])
            try client.notify("addOutcome", ["jobRunId": run, "key": "ok"])
            try client.notify("addOutcome", ["jobRunId": run, "key": "conn-\(connection)", "count": 2])
            let params: [String: Any] = ["jobRunId": run, "message": "\(connection) \(step)"]
            let level = step % 3 == 0 ? "warning" : "info"
            if step % 25 == 24 {
                #expect(try client.call(level, params)["result"] != nil)
            } else {
                try client.notify(level, params)
            }
        }
        #expect(try client.call("ping")["result"] != nil)
    }

    static var warnings: Int { (0..<steps).filter { $0 % 3 == 0 }.count }

    /// Checks one run against what `connections` writers with these ids sent into it.
    static func verify(_ check: LineClient, run: String, writers: [Int], by: [Int: Int]) throws {
        let stored = try check.result("getRun", ["jobRunId": run])["run"] as? [String: Any] ?? [:]
        let expectedProgress = writers.reduce(0) { $0 + steps * (by[$1] ?? 0) }
        #expect(stored["progressCurrent"] as? Int == expectedProgress, "run \(run) progress")
        var outcome: [String: Int] = ["ok": writers.count * steps]
        for w in writers { outcome["conn-\(w)"] = 2 * steps }
        #expect(stored["outcomeSummary"] as? [String: Int] == outcome, "run \(run) outcome")
        let counts = stored["logCounts"] as? [String: Int] ?? [:]
        #expect(counts["warning"] == writers.count * warnings, "run \(run) warnings")
        #expect(counts["info"] == writers.count * (steps - warnings), "run \(run) infos")
        // The rows agree with the counters, and each writer's steps are in order, each once.
        let logs = try Reliability.allLogs(check, run)
        #expect(logs.count == writers.count * steps)
        var perWriter: [Int: [Int]] = [:]
        for entry in logs {
            let parts = (entry["message"] as? String ?? "").split(separator: " ").compactMap { Int($0) }
            guard parts.count == 2 else { continue }
            perWriter[parts[0], default: []].append(parts[1])
        }
        for w in writers { #expect(perWriter[w] == Array(0..<steps), "run \(run) writer \(w) out of order") }
    }

    @Test func sharedAndSeparateRunsAtOnce() throws {
        let daemon = try TestDaemon()
        let setup = try daemon.connect()
        let shared = try setup.result("startRun", ["jobName": "shared"])["jobRunId"] as! String
        let separate = Locked<[Int: String]>([:])
        let failures = Locked<[String]>([])
        let start = Date()
        Reliability.onThreads(2 * Self.connections) { i in
            do {
                let client = try daemon.connect()
                if i < Self.connections {
                    try Self.write(client, run: shared, connection: i, by: i % 3 + 1)
                } else {
                    let run = try client.result("startRun", ["jobName": "separate-\(i)"])["jobRunId"] as! String
                    separate.withLock { $0[i] = run }
                    try Self.write(client, run: run, connection: i, by: 1)
                }
            } catch {
                failures.withLock { $0.append("connection \(i): \(error)") }
            }
        }
        let elapsed = Reliability.ms(since: start)
        #expect(failures.current.isEmpty, "\(failures.current)")
        let check = try daemon.connect()
        let weights = Dictionary(uniqueKeysWithValues: (0..<Self.connections).map { ($0, $0 % 3 + 1) })
        try Self.verify(check, run: shared, writers: Array(0..<Self.connections), by: weights)
        #expect(separate.current.count == Self.connections)
        for (i, run) in separate.current.sorted(by: { $0.key < $1.key }) {
            try Self.verify(check, run: run, writers: [i], by: [i: 1])
        }
        let messages = 2 * Self.connections * (4 * Self.steps + 1)
        print(
            "concurrency: \(2 * Self.connections) connections, \(messages) messages in \(elapsed) ms, all counts exact")
    }
}
