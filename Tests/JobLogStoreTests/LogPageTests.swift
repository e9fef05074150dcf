import Foundation
import JobLogModel
import Testing

@testable import JobLogStore

/// Pages of a run's log served by the one log index (migration `v4-one-log-index`): Given
/// entries of every level in two interleaved runs, When pages are read with and without a
/// level filter, from the newest or after an id, Then each page is exactly what a filter
/// over all entries gives.
@Suite struct LogPageTests {
    @Test func pagesMatchAFilterOverAllEntries() async throws {
        let (store, dir) = try makeTestStore()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let runs = try await startTestRuns(store, count: 2)
        // Levels in an irregular pattern, both runs interleaved (ids of one run are not contiguous).
        var ops: [WriteOp] = []
        var expected: [(run: Int64, level: LogLevel, message: String)] = []
        for i in 0..<600 {
            let level = LogLevel(rawValue: (i * 7 + i / 13) % 5)!
            let run = runs[i % 3 == 0 ? 1 : 0]
            ops.append(WriteOp(.log(run: run, level: level, message: "m\(i)", context: nil)))
            expected.append((run, level, "m\(i)"))
        }
        await store.submit(ops)
        _ = await store.write(.barrier)
        let run = runs[0]
        let all = try #require(try await store.logs(run: run, minLevel: nil, limit: 10_000, afterId: nil))
        #expect(all.map(\.message) == expected.filter { $0.run == run }.map(\.message))
        for minLevel in [nil] + LogLevel.allCases {
            let wanted = all.filter { minLevel == nil || $0.level >= minLevel! }
            for limit in [1, 7, 100, 1000] {
                let newest = try await store.logs(run: run, minLevel: minLevel, limit: limit, afterId: nil)
                #expect(newest?.map(\.id) == Array(wanted.suffix(limit).map(\.id)))
                for afterId in [0, all[all.count / 3].id, all[all.count - 2].id, all.last!.id] {
                    let page = try await store.logs(run: run, minLevel: minLevel, limit: limit, afterId: afterId)
                    #expect(page?.map(\.id) == Array(wanted.filter { $0.id > afterId }.prefix(limit).map(\.id)))
                }
            }
        }
    }
}
