import Foundation
import JobLogTestSupport
import Testing

/// Two daemons (`--node-name a`, `--node-name b`, separate sockets) on one PostgreSQL database:
/// what one stores the other reads the same, and jobs writing concurrently through both, into
/// their own runs and into one shared run, lose and repeat nothing.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct FleetTwoNodesTests {
    /// Entries, increments and outcome additions each job writes.
    static let steps = 150

    @Test func aRunStartedThroughOneNodeReadsTheSameThroughTheOther() throws {
        let url = try PostgresCluster.makeDatabase()
        let a = try TestDaemon(arguments: ["--store", url, "--node-name", "a"])
        let b = try TestDaemon(arguments: ["--store", url, "--node-name", "b"])
        let job = try a.connect()
        let id = try #require(try job.result("startRun", ["jobName": "fleet-read"])["jobRunId"] as? String)
        try job.notify("setTotal", ["jobRunId": id, "total": 3])
        try job.notify("setStage", ["jobRunId": id, "stage": "copy"])
        for i in 1...3 {
            try job.notify("incrementProgress", ["jobRunId": id])
            try job.notify("info", ["jobRunId": id, "message": "item \(i)"])
        }
        try job.notify("addOutcome", ["jobRunId": id, "key": "copied", "count": 3])
        _ = try job.result("getProgress", ["jobRunId": id])
        let onA = try a.connect()
        let onB = try b.connect()
        for method in ["getRun", "getLogs", "getStages"] {
            let here = try onA.result(method, ["jobRunId": id])
            let there = try onB.result(method, ["jobRunId": id])
            #expect(try Self.stable(here) == Self.stable(there), "\(method)")
        }
        let listed = try onB.result("listRuns", ["node": "a"])["runs"] as? [[String: Any]]
        #expect(listed?.compactMap { $0["id"] as? String } == [id])
        #expect(a.terminate() == 0)
        #expect(b.terminate() == 0)
    }

    @Test func jobsOnBothNodesWriteExactlyIntoTheirRunsAndIntoOneSharedRun() throws {
        let url = try PostgresCluster.makeDatabase()
        let nodes = [
            try TestDaemon(arguments: ["--store", url, "--node-name", "a"]),
            try TestDaemon(arguments: ["--store", url, "--node-name", "b"]),
        ]
        let shared = try #require(
            try nodes[0].connect().result("startRun", ["jobName": "fleet-shared"])["jobRunId"] as? String)
        let failures = Collected()
        let ownRuns = Collected()
        let steps = Self.steps
        var threads: [Thread] = []
        let done = DispatchGroup()
        func spawn(_ body: @escaping @Sendable () throws -> Void) {
            done.enter()
            let thread = Thread {
                do { try body() } catch { failures.add("\(error)") }
                done.leave()
            }
            threads.append(thread)
        }
        // 8 jobs per node, each in its own run.
        for (n, node) in nodes.enumerated() {
            let socket = node.socketPath
            for j in 0..<8 {
                spawn {
                    let client = try LineClient(path: socket)
                    let id = try Self.runID(client.result("startRun", ["jobName": "fleet-own-\(n)-\(j)"]))
                    ownRuns.add(id)
                    try Self.write(client, run: id, job: "own", steps: steps)
                    _ = try client.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
                }
            }
        }
        // 4 jobs into the one shared run, 2 through each node (JOBLOG_RUN_ID-style: the run's id only).
        for j in 0..<4 {
            let socket = nodes[j % 2].socketPath
            spawn {
                let client = try LineClient(path: socket)
                try Self.write(client, run: shared, job: "shared-\(j)", steps: steps)
            }
        }
        for thread in threads { thread.start() }
        #expect(done.wait(timeout: .now() + 120) == .success)
        #expect(failures.all.isEmpty, "\(failures.all)")

        let readers = try nodes.map { try $0.connect() }
        let own = ownRuns.all
        #expect(own.count == 16)
        for id in own {
            for reader in readers {
                let run = try #require(try reader.result("getRun", ["jobRunId": id])["run"] as? [String: Any])
                #expect(run["status"] as? String == "SUCCESS")
                try Self.expectCounts(run, jobs: 1, steps: steps)
            }
            let messages = try Self.messages(readers[1], run: id)
            #expect(messages == (0..<steps).map { "own \($0)" })
        }
        for reader in readers {
            let run = try #require(try reader.result("getRun", ["jobRunId": shared])["run"] as? [String: Any])
            #expect(run["status"] as? String == "RUNNING")
            try Self.expectCounts(run, jobs: 4, steps: steps)
        }
        let messages = try Self.messages(readers[0], run: shared)
        #expect(messages.count == 4 * steps)
        #expect(Set(messages) == Set((0..<4).flatMap { j in (0..<steps).map { "shared-\(j) \($0)" } }))
        for reader in readers { reader.close() }
        for node in nodes { #expect(node.terminate() == 0) }
    }

    /// One job's writes: per step an increment, an outcome addition of 2 and an info entry; then a
    /// request, answered once all of them are committed.
    static func write(_ client: LineClient, run: String, job: String, steps: Int) throws {
        for i in 0..<steps {
            try client.notify("incrementProgress", ["jobRunId": run])
            try client.notify("addOutcome", ["jobRunId": run, "key": "rows", "count": 2])
            try client.notify("info", ["jobRunId": run, "message": "\(job) \(i)"])
        }
        _ = try client.result("getProgress", ["jobRunId": run])
    }

    static func expectCounts(_ run: [String: Any], jobs: Int, steps: Int) throws {
        #expect(run["progressCurrent"] as? Int == jobs * steps)
        let outcome = run["outcomeSummary"] as? [String: Any]
        #expect(outcome?["rows"] as? Int == 2 * jobs * steps)
        let counts = run["logCounts"] as? [String: Any]
        #expect(counts?["info"] as? Int == jobs * steps, "\(run)")
    }

    /// Every entry of a run, oldest first.
    static func messages(_ client: LineClient, run: String) throws -> [String] {
        let logs = try #require(
            try client.result("getLogs", ["jobRunId": run, "afterId": "0", "limit": 10000])["logs"] as? [[String: Any]])
        return logs.compactMap { $0["message"] as? String }
    }

    static func runID(_ result: [String: Any]) throws -> String {
        guard let id = result["jobRunId"] as? String else { throw TestFailure("no jobRunId in \(result)") }
        return id
    }

    /// An answer as JSON with sorted keys, without the figures that depend on when it is read.
    static func stable(_ value: [String: Any]) throws -> String {
        func strip(_ any: Any) -> Any {
            if let object = any as? [String: Any] {
                return object.filter { !["ratePerSecond", "etaSeconds", "elapsedMs", "durationMs"].contains($0.key) }
                    .mapValues(strip)
            }
            if let array = any as? [Any] { return array.map(strip) }
            return any
        }
        let data = try JSONSerialization.data(withJSONObject: strip(value), options: .sortedKeys)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Texts the job threads collect (their failures, the runs they started).
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ text: String) { lock.withLock { list.append(text) } }
    var all: [String] { lock.withLock { list } }
}
