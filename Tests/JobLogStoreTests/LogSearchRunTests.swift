import Foundation
import GRDB
import JobLogModel
import Testing

@testable import JobLogStore

/// `searchLogs` within one run without a level filter, after `v4-one-log-index` dropped
/// `logs_by_run(run_id, id)`: Given two interleaved runs with entries of every level, When one
/// run is searched (newest, after an id, with and without a minimum level), Then the answer is
/// exactly a filter over all its entries, and each statement of the walk reads ranges of
/// `logs_by_run_level` merged in id order (SQLite's own query plan: no sort, no scan).
@Suite struct LogSearchRunTests {
    @Test func oneRunIsReadAsMergedLevelRanges() async throws {
        let (store, dir) = try makeTestStore()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let runs = try await startTestRuns(store, count: 2)
        var ops: [WriteOp] = []
        for i in 0..<500 {
            let level = LogLevel(rawValue: (i * 3 + i / 11) % 5)!
            ops.append(WriteOp(.log(run: runs[i % 3 == 0 ? 1 : 0], level: level, message: "m\(i)", context: nil)))
        }
        await store.submit(ops)
        _ = await store.write(.barrier)
        let run = runs[0]
        let all = try #require(try await store.logs(run: run, minLevel: nil, limit: 10_000, afterId: nil))
        #expect(all.count == 500 - 167)
        for minLevel in [nil, .debug, .milestone] as [LogLevel?] {
            let wanted = all.filter { minLevel == nil || $0.level >= minLevel! }
            for limit in [1, 10, 1000] {
                let newest = try await store.searchLogs(LogSearchFilter(runID: run, minLevel: minLevel, limit: limit))
                #expect(newest?.map(\.record.id) == wanted.suffix(limit).map(\.id))
                #expect(newest?.allSatisfy { $0.runID == run } == true)
                let from = all[all.count / 2].id
                let page = try await store.searchLogs(
                    LogSearchFilter(runID: run, minLevel: minLevel, afterId: from, limit: limit))
                #expect(page?.map(\.record.id) == Array(wanted.filter { $0.id > from }.prefix(limit).map(\.id)))
            }
        }

        let queue = try DatabaseQueue(path: dir + "/db.sqlite")
        defer { try? queue.close() }
        for levels in [Array(0...4), [2, 3, 4]] {
            for ascending in [true, false] {
                let sql = LogSearch.streamSQL("run_id = ? AND ", levels: levels, ascending: ascending)
                var values: [DatabaseValueConvertible?] = []
                for _ in levels { values += [run, ascending ? 0 : Int64.max, ascending ? Int64.max : 0] }
                values.append(10)
                let arguments = StatementArguments(values)
                let plan = try await queryPlan(queue, sql, arguments)
                let ranges = plan.filter { $0.contains("INDEX logs_by_run_level (run_id=? AND level=? AND id") }
                #expect(ranges.count == levels.count, "\(sql): \(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(sql): \(plan)")
            }
        }
    }
}
