import Foundation
import GRDB
import JobLogModel
import Testing

@testable import JobLogStore

/// Level-filtered pages on a big run (issue 10, point 10): with 5,000,000 entries, `level: debug`
/// took 1.9 s and `info` 1.1 s (unfiltered: 1 ms). A smaller run of the same shape (almost all
/// debug, a few entries of each higher level): every query is an index walk (asserted on SQLite's
/// own query plan, so the test does not depend on timing) and every answer is right.
@Suite struct LogQueryTests {
    func makeStore(_ configure: (inout StoreConfiguration) -> Void = { _ in }) throws -> (JobLogStore, String) {
        try makeTestStore(configure)
    }

    /// A run of `count` entries: debug, with every 997th info, 1,999th warning, 4,001st error, 7,919th milestone.
    func bigRun(_ store: JobLogStore, count: Int) async throws -> Int64 {
        guard
            case .run(let run) = await store.write(
                .startRun(
                    NewRun(
                        jobName: "big", trigger: "MANUAL", scope: "system", algorithmVersion: nil, params: "{}")))
        else { throw StoreError.unknownRun(0) }
        var ops: [WriteOp] = []
        for i in 0..<count {
            var level = LogLevel.debug
            if i % 4001 == 0 {
                level = .error
            } else if i % 1999 == 0 {
                level = .warning
            } else if i % 997 == 0 {
                level = .info
            } else if i % 7919 == 0 {
                level = .milestone
            }
            ops.append(WriteOp(.log(run: run.id, level: level, message: "m\(i)", context: nil)))
        }
        await store.submit(ops)
        _ = await store.write(.barrier)
        return run.id
    }

    @Test func levelFilteredPagesAreIndexWalksAndRight() async throws {
        let (store, dir) = try makeStore()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let id = try await bigRun(store, count: 60_000)
        var all: [LogRecord] = []
        var after: Int64 = 0
        while let page = try await store.logs(run: id, minLevel: nil, limit: 10_000, afterId: after), !page.isEmpty {
            all += page
            after = page.last!.id
        }
        #expect(all.count == 60_000)
        for level in [nil] + LogLevel.allCases.map(Optional.some) {
            let wanted = all.filter { level == nil || $0.level >= level! }
            for limit in [1, 7, 100, 5000] {
                let newest = try await store.logs(run: id, minLevel: level, limit: limit, afterId: nil)
                let name = String(describing: level)
                #expect(newest?.map(\.id) == wanted.suffix(limit).map(\.id), "newest \(limit) at \(name)")
                let from = all[all.count / 3].id
                let page = try await store.logs(run: id, minLevel: level, limit: limit, afterId: from)
                let expected = wanted.filter { $0.id > from }.prefix(limit).map(\.id)
                #expect(page?.map(\.id) == Array(expected), "after \(from), \(limit) at \(String(describing: level))")
            }
        }
        // The plans: one range of `logs_by_run_level` per level, merged in id order; no scan of the
        // run, no sort, and nothing of `logs_by_run` (dropped by `v4-one-log-index`).
        let queue = try DatabaseQueue(path: dir + "/db.sqlite")
        defer { try? queue.close() }
        let indexes = try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'logs'")
        }
        #expect(!indexes.contains("logs_by_run") && indexes.contains("logs_by_run_level"), "\(indexes)")
        for level in [nil, .info, .error] as [LogLevel?] {
            for afterId in [nil, 0] as [Int64?] {
                let query = LogQuery.page(run: id, minLevel: level, limit: 10, afterId: afterId)
                let plan = try await queryPlan(queue, query.sql, query.arguments)
                let ranges = plan.filter { $0.contains("USING COVERING INDEX logs_by_run_level (run_id=? AND level=?") }
                #expect(ranges.count == LogQuery.levels(level).count, "\(query.sql): \(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(query.sql): \(plan)")
            }
        }
        #expect(LogQuery.levels(.debug) == 0...4 && LogQuery.levels(nil) == 0...4)
        #expect(LogQuery.levels(.info) == 1...4 && LogQuery.levels(.error) == 4...4)
    }

    @Test func aReadPastItsBudgetIsRefused() async throws {
        let (store, dir) = try makeStore { $0.readBudgetMs = 0 }
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let id = try await bigRun(store, count: 20_000)
        await #expect(throws: StoreError.self) {
            _ = try await store.logs(run: id, minLevel: nil, limit: 10_000, afterId: nil)
        }
        do {
            _ = try await store.logs(run: id, minLevel: .info, limit: 10_000, afterId: 0)
        } catch let error as StoreError {
            guard case .tooExpensive(let why) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(why.contains("afterId"))
        }
        // Short reads have no budget and a reader of their own.
        #expect(try await store.run(id)?.logCounts.total == 20_000)
    }
}
