import Foundation
import JobLogJSON
import JobLogModel
import JobLogStore
import JobLogTestSupport
import Logging
import Synchronization
import Testing

@testable import JobLogPostgres

/// The commit's `NOTIFY` (watching across hosts): PostgreSQL refuses payloads of 8000 bytes or
/// more, so a transaction that changes many runs sends several; and the cursor that turns what
/// the database holds into a watcher's events.
struct PostgresNotifyTests {
    @Test func aLongListOfRunsIsSplitBelowPostgreSQLsLimit() {
        let ids = (0..<5000).map { Int64(1_000_000_000_000 + $0) }
        let node = String(repeating: "n ", count: 100)  // 200 bytes, the longest --node-name, with spaces
        let payloads = PostgresNotify.payloads(node: node, runs: ids)
        #expect(payloads.count > 1)
        #expect(payloads.allSatisfy { $0.utf8.count < 8000 })
        let parsed = payloads.compactMap(PostgresNotify.parse)
        #expect(parsed.count == payloads.count && parsed.allSatisfy { $0.node == node })
        #expect(parsed.flatMap(\.runs) == ids)
        #expect(PostgresNotify.parse("garbage") == nil)
    }

    @Test(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
    func oneTransactionOfThousandsOfRunsNotifiesThemAll() async throws {
        let url = try PostgresStoreURL(parsing: try PostgresCluster.makeDatabase())
        let logger = Logger(label: "test")
        let writer = try await PostgresBackend.open(url: url, nodeName: "a", logger: logger)
        defer { writer.stop() }
        let storeOfB = JobLogStore(
            backend: try await PostgresBackend.open(url: url, nodeName: "b", logger: logger),
            configuration: StoreConfiguration(path: "/nonexistent/unused"), logger: logger)
        defer { storeOfB.close() }
        let started = Mutex<Set<Int64>>([])
        // No sweep: only the notifications tell b.
        let feed = PostgresWatchFeed(
            url: url, node: "b", store: storeOfB, logger: logger, sweepInterval: .seconds(3600)
        ) {
            events, _ in
            started.withLock { s in
                for e in events { if case .started = e.kind { s.insert(e.runID) } }
            }
        }
        let listening = Task { await feed.run() }
        defer { listening.cancel() }
        // The backend's transactions block their thread (they are the writer thread's): run them on
        // a thread of their own, not on one of the few threads of the tests' cooperative pool.
        func insert(_ count: Int) async throws -> [Int64] {
            try await withCheckedThrowingContinuation { continuation in
                Thread {
                    continuation.resume(
                        with: Result {
                            var ids: [Int64] = []
                            try writer.transaction { tx in
                                for i in 0..<count {
                                    ids.append(
                                        try tx.insertRun(
                                            NewRun(
                                                jobName: "many", trigger: "t", scope: "s", algorithmVersion: nil,
                                                params: "{}"),
                                            at: Timestamp(milliseconds: Int64(i))))
                                }
                            }
                            return ids
                        })
                }.start()
            }
        }
        func heard(_ ids: [Int64], within seconds: Double) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if started.withLock({ $0.isSuperset(of: ids) }) { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
        // Once b listens (a run started after it is told)...
        var listeningNow = false
        for _ in 0..<50 where !listeningNow { listeningNow = try await heard(try await insert(1), within: 0.2) }
        #expect(listeningNow)
        // ...1,500 runs in one transaction: several notifications (PostgreSQL refuses 8000 bytes), all heard.
        let many = try await insert(1500)
        #expect(try await heard(many, within: 20))
    }

    /// Entries and stage rows interleave by position; the run's fields follow as latest values.
    @Test func aCursorTellsEntriesStagesAndFieldsInCommitOrder() {
        var run = RunRecord(
            id: 7, jobName: "j", status: .running, trigger: "t", scope: "s", algorithmVersion: nil,
            startedAt: Timestamp(milliseconds: 1), lastHeartbeatAt: Timestamp(milliseconds: 1), params: .emptyObject)
        var cursor = RunCursor(fresh: run)
        func entry(_ id: Int64) -> LogRecord {
            LogRecord(
                id: id, level: .info, stage: nil, message: "m\(id)", context: .emptyObject,
                createdAt: Timestamp(milliseconds: id))
        }
        run.currentStage = "two"
        run.progressCurrent = 5
        var look = RunCursor.Look(run: run)
        look.logs = [entry(10), entry(11), entry(12), entry(13)]
        look.stages = [
            .init(id: 1, stage: "one", startedAt: Timestamp(milliseconds: 10), position: 10),
            .init(id: 2, stage: "two", startedAt: Timestamp(milliseconds: 12), position: 12),
        ]
        func names(_ events: [CommittedEvent]) -> [String] {
            events.map {
                switch $0.kind {
                case .log(let e): "log \(e.id)"
                case .stage(let s): "stage \(s)"
                case .progress(let c, _): "progress \(c)"
                case .finished(let s): "finished \(s.rawValue)"
                case .outcome: "outcome"
                default: "other"
                }
            }
        }
        #expect(
            names(cursor.advance(look)) == [
                "log 10", "stage one", "log 11", "log 12", "stage two", "log 13", "progress 5",
            ])
        // Nothing new: nothing told; the end and the last progress value: told once.
        #expect(cursor.advance(RunCursor.Look(run: run)).isEmpty)
        run.status = .success
        run.progressCurrent = 9
        _ = run.outcome.add("rows", 3)
        #expect(names(cursor.advance(RunCursor.Look(run: run))) == ["outcome", "progress 9", "finished SUCCESS"])
    }
}
