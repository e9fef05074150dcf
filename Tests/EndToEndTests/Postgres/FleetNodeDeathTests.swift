import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A node dies (`kill -9` of its daemon and of its jobs): once its lease expired, the other
/// daemon abandons its RUNNING runs, each exactly once; the node that comes back resurrects nothing.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct FleetNodeDeathTests {
    static let leaseMs = 5000

    @Test func theRunsOfADeadNodeAreAbandonedOnceAndStayAbandoned() throws {
        let url = try PostgresCluster.makeDatabase()
        let lease = ["--node-lease-ms", "\(Self.leaseMs)"]
        let a = try TestDaemon(arguments: ["--store", url, "--node-name", "a"] + lease)
        let b = try TestDaemon(arguments: ["--store", url, "--node-name", "b"] + lease)
        // a's jobs: processes of their own, killed with the daemon.
        let jobs = try (0..<3).map { _ in try Self.sleeper() }
        defer { for job in jobs where job.isRunning { kill(job.processIdentifier, SIGKILL) } }
        let onA = try a.connect()
        var doomed: [String] = []
        for (i, job) in jobs.enumerated() {
            let id = try Self.runID(
                onA.result("startRun", ["jobName": "fleet-dead", "pid": Int(job.processIdentifier)]))
            try onA.notify("setStage", ["jobRunId": id, "stage": "step \(i)"])
            try onA.notify("incrementProgress", ["jobRunId": id, "by": i + 1])
            doomed.append(id)
        }
        _ = try onA.result("getProgress", ["jobRunId": doomed[0]])
        // A run on b, whose owner (this test) lives on.
        let onB = try b.connect()
        let alive = try Self.runID(onB.result("startRun", ["jobName": "fleet-alive"]))

        a.kill9()
        for job in jobs {
            kill(job.processIdentifier, SIGKILL)
            job.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(Double(Self.leaseMs) / 1000 + 15)
        while Date() < deadline, try doomed.contains(where: { try Self.status(onB, $0) == "RUNNING" }) {
            usleep(100_000)
        }
        for (i, id) in doomed.enumerated() {
            #expect(try Self.status(onB, id) == "ABANDONED")
            let entries = try Self.abandonEntries(onB, id)
            #expect(entries.count == 1, "\(entries)")
            #expect(entries.first?.hasPrefix("Run abandoned: Node a stopped reporting at ") == true)
            #expect(entries.first?.contains("last stage 'step \(i)', progress \(i + 1)") == true)
        }
        #expect(try Self.status(onB, alive) == "RUNNING")
        #expect(b.daemonLog().contains("node lease expired"))

        // a comes back: its old runs stay ABANDONED (one entry each), its new runs live on, past a lease.
        try a.start()
        let again = try a.connect()
        let fresh = try Self.runID(again.result("startRun", ["jobName": "fleet-back"]))
        try again.notify("incrementProgress", ["jobRunId": fresh])
        usleep(useconds_t(Self.leaseMs * 1000 + 1500))
        for id in doomed {
            #expect(try Self.status(again, id) == "ABANDONED")
            #expect(try Self.abandonEntries(again, id).count == 1)
        }
        #expect(try Self.status(onB, fresh) == "RUNNING")
        #expect(try Self.status(onB, alive) == "RUNNING")
        let progress = try again.result("getProgress", ["jobRunId": fresh])["progress"] as? [String: Any]
        #expect(progress?["progressCurrent"] as? Int == 1)
        _ = try again.result("finishRun", ["jobRunId": fresh, "status": "SUCCESS"])
        #expect(try Self.status(onB, fresh) == "SUCCESS")
        #expect(a.terminate() == 0)
        #expect(b.terminate() == 0)
    }

    /// A `sleep` process standing for a job.
    static func sleeper() throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["300"]
        try p.run()
        return p
    }

    static func status(_ client: LineClient, _ id: String) throws -> String? {
        let run = try client.result("getRun", ["jobRunId": id])["run"] as? [String: Any]
        return run?["status"] as? String
    }

    /// The run's entries that say it was abandoned.
    static func abandonEntries(_ client: LineClient, _ id: String) throws -> [String] {
        let logs = try client.result("getLogs", ["jobRunId": id, "limit": 1000])["logs"] as? [[String: Any]] ?? []
        return logs.compactMap { $0["message"] as? String }.filter { $0.contains("abandoned") }
    }

    static func runID(_ result: [String: Any]) throws -> String {
        guard let id = result["jobRunId"] as? String else { throw TestFailure("no jobRunId in \(result)") }
        return id
    }
}
