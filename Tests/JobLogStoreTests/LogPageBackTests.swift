import Foundation
import GRDB
import JobLogModel
import Testing

@testable import JobLogStore

/// `getLogs` `beforeId` (the web UI's "Older" button): the newest `limit` entries below an id, at
/// any level filter, in id order; paging back from the newest page meets every entry once; each
/// page is index ranges of `logs_by_run_level` merged newest first (no scan, no sort).
@Suite struct LogPageBackTests {
    @Test func pagingBackMeetsEveryEntryOnceInOrder() async throws {
        let (store, dir) = try makeTestStore()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        guard
            case .run(let run) = await store.write(
                .startRun(
                    NewRun(jobName: "back", trigger: "MANUAL", scope: "system", algorithmVersion: nil, params: "{}")))
        else {
            Issue.record("no run")
            return
        }
        // Another run's entries interleaved: never part of this run's pages.
        guard
            case .run(let other) = await store.write(
                .startRun(
                    NewRun(jobName: "other", trigger: "MANUAL", scope: "system", algorithmVersion: nil, params: "{}")))
        else {
            Issue.record("no run")
            return
        }
        let levels: [LogLevel] = [.debug, .info, .debug, .warning, .info, .milestone, .debug, .error]
        var ops: [WriteOp] = []
        for i in 0..<3000 {
            ops.append(WriteOp(.log(run: run.id, level: levels[i % levels.count], message: "m\(i)", context: nil)))
            if i % 5 == 0 { ops.append(WriteOp(.log(run: other.id, level: .error, message: "o\(i)", context: nil))) }
        }
        await store.submit(ops)
        _ = await store.write(.barrier)
        let all = try #require(try await store.logs(run: run.id, minLevel: nil, limit: 10_000, afterId: 0))
        #expect(all.count == 3000)

        for level in [nil] + LogLevel.allCases.map(Optional.some) {
            let wanted = all.filter { level == nil || $0.level >= level! }.map(\.id)
            for limit in [1, 7, 200] {
                let name = "\(String(describing: level)), limit \(limit)"
                // From the newest page back to the first entry, as the web UI pages.
                var page = try #require(try await store.logs(run: run.id, minLevel: level, limit: limit, afterId: nil))
                var seen = page.map(\.id)
                while let first = page.first {
                    page = try #require(
                        try await store.logs(
                            run: run.id, minLevel: level, limit: limit, afterId: nil, beforeId: first.id))
                    #expect(page.map(\.id) == page.map(\.id).sorted(), "a page in id order: \(name)")
                    #expect(page.allSatisfy { $0.id < first.id }, "\(name)")
                    #expect(page.isEmpty || page.count == limit || page.first?.id == wanted.first, "\(name)")
                    seen = page.map(\.id) + seen
                    if seen.count > wanted.count { break }
                }
                #expect(seen == wanted, "every entry once, in order: \(name)")
                // From an id in the middle: exactly the newest `limit` below it.
                let middle = all[all.count / 2].id
                let below = try await store.logs(
                    run: run.id, minLevel: level, limit: limit, afterId: nil, beforeId: middle)
                #expect(below?.map(\.id) == Array(wanted.filter { $0 < middle }.suffix(limit)), "\(name)")
            }
        }
        // Below the first entry: nothing. An unknown run: nil, as for every page.
        let none = try await store.logs(run: run.id, minLevel: nil, limit: 10, afterId: nil, beforeId: all[0].id)
        #expect(none?.isEmpty == true)
        #expect(try await store.logs(run: 999_999, minLevel: nil, limit: 10, afterId: nil, beforeId: 5) == nil)

        // The plan: one covering range of the log index per level, merged; no scan, no sort.
        let queue = try DatabaseQueue(path: dir + "/db.sqlite")
        defer { try? queue.close() }
        for level in [nil, .info, .error] as [LogLevel?] {
            let query = LogQuery.page(run: run.id, minLevel: level, limit: 200, afterId: nil, beforeId: all[1500].id)
            let plan = try await queryPlan(queue, query.sql, query.arguments)
            let ranges = plan.filter { $0.contains("USING COVERING INDEX logs_by_run_level (run_id=? AND level=?") }
            #expect(ranges.count == LogQuery.levels(level).count, "\(query.sql): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") }, "\(query.sql): \(plan)")
        }
    }
}
