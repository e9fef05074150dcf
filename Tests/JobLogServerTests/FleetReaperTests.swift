import Foundation
import JobLogModel
import JobLogPostgres
import JobLogStore
import JobLogTestSupport
import Logging
import Testing

@testable import JobLogServer

/// Several stores (nodes `a`, `b`, `c`) on one PostgreSQL database, in this process: each
/// reaper judges only the runs of its own node, the runs of a node whose lease expired are
/// abandoned once across the fleet, and writers of two nodes into one run keep every counter.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct FleetReaperTests {
    let logger = Logger(label: "test")
    /// A pid that exists on no host of these tests (above Linux's largest `pid_max`, 2^22).
    static let absentPid: Int64 = 2_000_000_000

    /// One node's store on the database at `url`.
    func node(_ name: String, _ url: String) async throws -> JobLogStore {
        var configuration = StoreConfiguration(path: "/nonexistent/unused")
        configuration.nodeName = name
        let backend = try await PostgresBackend.open(
            url: try PostgresStoreURL(parsing: url), nodeName: name, logger: logger)
        return JobLogStore(backend: backend, configuration: configuration, logger: logger)
    }

    func start(_ store: JobLogStore, pid: Int64?) async throws -> Int64 {
        let new = NewRun(
            jobName: "fleet", trigger: "MANUAL", scope: "", algorithmVersion: nil, params: "{}", ownerPid: pid)
        guard case .run(let run) = await store.write(.startRun(new)) else { throw StoreError.shuttingDown }
        return run.id
    }

    func status(_ store: JobLogStore, _ id: Int64) async throws -> RunStatus? {
        try await store.run(id)?.status
    }

    @Test func aReaperJudgesOnlyTheRunsOfItsOwnNode() async throws {
        let url = try PostgresCluster.makeDatabase()
        let a = try await node("a", url)
        let b = try await node("b", url)
        defer {
            a.close()
            b.close()
        }
        // Both owners' pids are absent here: only a's run is a's to judge.
        let ofA = try await start(a, pid: Self.absentPid)
        let ofB = try await start(b, pid: Self.absentPid)
        #expect(try await a.runningRuns().map(\.runID) == [ofA])
        #expect(try await a.runningOwner(of: ofB) == nil)
        await LivenessReaper(store: a, logger: logger).sweep()
        #expect(try await status(a, ofA) == .abandoned)
        #expect(try await status(a, ofB) == .running)
        let logs = try #require(try await a.logs(run: ofB, minLevel: nil, limit: 10, afterId: nil))
        #expect(logs.allSatisfy { !$0.message.contains("abandoned") })
    }

    @Test func anExpiredNodesRunsAreAbandonedOnceAcrossTheFleet() async throws {
        let url = try PostgresCluster.makeDatabase()
        let a = try await node("a", url)
        let b = try await node("b", url)
        let c = try await node("c", url)
        defer {
            for store in [a, b, c] { store.close() }
        }
        // b's owner is alive (this process): only b's lease can end its runs.
        let ofB = try await (0..<3).asyncMap { _ in try await start(b, pid: Int64(getpid())) }
        let ofA = try await start(a, pid: Int64(getpid()))
        let reapers = [a, c].map { LivenessReaper(store: $0, logger: logger, nodeLeaseMs: 60_000) }
        for reaper in reapers { await reaper.sweep() }
        for id in ofB { #expect(try await status(a, id) == .running) }

        // b's last heartbeat, two minutes ago (no reaper of b renews it here).
        _ = try PostgresCluster.query(
            url: url, "UPDATE nodes SET heartbeat_at = heartbeat_at - 120000 WHERE name = 'b'")
        let heartbeat = try #require(
            Int64(try PostgresCluster.query(url: url, "SELECT heartbeat_at FROM nodes WHERE name = 'b'")))
        await withTaskGroup(of: Void.self) { group in
            for reaper in reapers { group.addTask { await reaper.sweep() } }
        }
        for reaper in reapers { await reaper.sweep() }
        let expected = "Node b stopped reporting at \(Timestamp(milliseconds: heartbeat).iso8601)"
        for id in ofB {
            let run = try #require(try await a.run(id))
            #expect(run.status == .abandoned)
            let logs = try #require(try await a.logs(run: id, minLevel: nil, limit: 10, afterId: nil))
            #expect(logs.filter { $0.message.hasPrefix("Run abandoned: \(expected);") }.count == 1)
            #expect(logs.count == 1)
        }
        #expect(try await status(a, ofA) == .running)
        #expect(
            try PostgresCluster.query(url: url, "SELECT reaped_at = heartbeat_at FROM nodes WHERE name = 'b'") == "t")

        // b comes back: its lease is renewed, nothing it had is RUNNING again, and its new runs live.
        try await b.renewLease()
        for reaper in reapers { await reaper.sweep() }
        for id in ofB { #expect(try await status(b, id) == .abandoned) }
        let fresh = try await start(b, pid: Int64(getpid()))
        for reaper in reapers { await reaper.sweep() }
        #expect(try await status(b, fresh) == .running)
        guard case .done = await b.write(.incrementProgress(run: fresh, by: 1)) else {
            Issue.record("a new run of the node that came back refused a write")
            return
        }
    }

    /// Another session holds the job's row and then waits for the run's: PostgreSQL aborts the
    /// writer's transaction as a deadlock (`40P01`), and the writer runs it again instead of
    /// failing the write.
    @Test func aTransactionLostToADeadlockIsRunAgain() async throws {
        let url = try PostgresCluster.makeDatabase()
        let a = try await node("a", url)
        defer { a.close() }
        let id = try await start(a, pid: nil)
        // The other session waits for the run last, so the writer's wait is the one found in a cycle
        // (PostgreSQL checks a wait after deadlock_timeout, 1 s): the other session commits.
        let otherCommitted = Collected()
        let other = Thread {
            if (try? PostgresCluster.query(
                url: url,
                """
                BEGIN; UPDATE job_names SET runs = runs WHERE job_name = 'fleet'; SELECT pg_sleep(0.8);
                UPDATE runs SET scope = scope WHERE id = \(id); COMMIT;
                """)) != nil
            {
                otherCommitted.add("yes")
            }
            otherCommitted.add("done")
        }
        other.start()
        try await Task.sleep(for: .milliseconds(300))
        // The finish locks the run, then waits for the job's row (its last success).
        let outcome = await a.write(.finish(run: id, status: .success, errorMessage: nil, errorStack: nil))
        guard case .run(let run) = outcome else {
            Issue.record("the finish failed: \(outcome)")
            return
        }
        #expect(run.status == .success)
        #expect(try await status(a, id) == .success)
        while !otherCommitted.all.contains("done") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(otherCommitted.all.contains("yes"), "the writer's transaction was the one aborted, and ran again")
    }

    @Test func writersOfTwoNodesIntoOneRunKeepEveryCount() async throws {
        let url = try PostgresCluster.makeDatabase()
        let a = try await node("a", url)
        let b = try await node("b", url)
        defer {
            a.close()
            b.close()
        }
        let shared = try await start(a, pid: nil)
        let perNode = 2000
        await withTaskGroup(of: Void.self) { group in
            for store in [a, b] {
                group.addTask {
                    // Notifications in batches, as a connection's pipeline sends them.
                    for chunk in stride(from: 0, to: perNode, by: 100) {
                        var ops: [WriteOp] = []
                        for i in chunk..<(chunk + 100) {
                            ops.append(WriteOp(.incrementProgress(run: shared, by: 1)))
                            ops.append(WriteOp(.addOutcome(run: shared, key: "rows", count: 2)))
                            ops.append(WriteOp(.log(run: shared, level: .info, message: "\(i)", context: nil)))
                        }
                        await store.submit(ops)
                    }
                    _ = await store.write(.barrier)
                }
            }
        }
        let run = try #require(try await b.run(shared))
        #expect(run.progressCurrent == Int64(2 * perNode))
        #expect(run.outcome.entries.first { $0.key == "rows" }?.count == Int64(4 * perNode))
        #expect(run.logCounts.info == Int64(2 * perNode))
        let rows = try PostgresCluster.query(
            url: url, "SELECT count(*), count(DISTINCT id) FROM logs WHERE run_id = \(shared)")
        #expect(rows == "\(2 * perNode)|\(2 * perNode)")
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

/// Texts a thread leaves for the test.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ text: String) { lock.withLock { list.append(text) } }
    var all: [String] { lock.withLock { list } }
}
