import Foundation
import JobLogModel
import Logging
import Testing

@testable import JobLogStore

/// The store alone: Given a fresh database, When writes are grouped, Then reads see exactly them.
@Suite struct JobLogStoreTests {
    func makeStore(_ configure: (inout StoreConfiguration) -> Void = { _ in }) throws -> (JobLogStore, String) {
        try makeTestStore(configure)
    }

    func start(_ store: JobLogStore, uid: Int64? = nil) async throws -> Int64 {
        guard
            case .run(let run) = await store.write(
                .startRun(
                    NewRun(
                        jobName: "j", trigger: "MANUAL", scope: "system", algorithmVersion: nil, params: "{}",
                        ownerUid: uid)))
        else {
            throw StoreError.unknownRun(0)
        }
        return run.id
    }

    @Test func groupedWritesAreExact() async throws {
        let (store, dir) = try makeStore()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let id = try await start(store)
        var ops: [WriteOp] = []
        for i in 0..<10_000 {
            ops.append(WriteOp(.incrementProgress(run: id, by: 1)))
            if i % 10 == 0 { ops.append(WriteOp(.log(run: id, level: .info, message: "m\(i)", context: nil))) }
        }
        await store.submit(ops)
        _ = await store.write(.barrier)
        let run = try await store.run(id)
        #expect(run?.progressCurrent == 10_000)
        #expect(run?.logCounts.info == 1000)
        let newest = try await store.logs(run: id, minLevel: nil, limit: 3, afterId: nil)
        #expect(newest?.map(\.message) == ["m9970", "m9980", "m9990"])
        let first = try await store.logs(run: id, minLevel: nil, limit: 2, afterId: 0)
        #expect(first?.map(\.message) == ["m0", "m10"])
        #expect(try await store.logs(run: 999, minLevel: nil, limit: 1, afterId: nil) == nil)
        #expect(try await store.integrityCheck() == "ok")
    }

    @Test func writesToFinishedOrUnknownRunsFail() async throws {
        let (store, dir) = try makeStore()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let id = try await start(store)
        guard
            case .run(let done) = await store.write(
                .finish(run: id, status: .success, errorMessage: nil, errorStack: nil))
        else {
            Issue.record("finish failed")
            return
        }
        #expect(done.status == .success && done.finishedAt != nil)
        guard case .failed(.runFinished(id, .success)) = await store.write(.setProgress(run: id, current: 1)) else {
            Issue.record("write after finish accepted")
            return
        }
        guard case .failed(.unknownRun(12345)) = await store.write(.setStage(run: 12345, stage: "x", message: nil))
        else {
            Issue.record("unknown run accepted")
            return
        }
    }

    @Test func onlyTheOwnerWrites() async throws {
        let (store, dir) = try makeStore { $0.permissions = Permissions(trustedUids: [0]) }
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let id = try await start(store, uid: 1000)
        guard case .failed(.notPermitted) = await store.write(.setProgress(run: id, current: 1), callerUid: 1001) else {
            Issue.record("another uid wrote")
            return
        }
        guard case .done = await store.write(.setProgress(run: id, current: 2), callerUid: 1000) else {
            Issue.record("the owner could not write")
            return
        }
        guard case .done = await store.write(.setProgress(run: id, current: 3), callerUid: 0) else {
            Issue.record("root could not write")
            return
        }
        #expect(try await store.run(id)?.progressCurrent == 3)
    }

    @Test func logBudgetDropsDebugFirstThenInfoNeverErrors() async throws {
        let (store, dir) = try makeStore { $0.maxLogsPerRun = 10 }
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let id = try await start(store)
        var ops: [WriteOp] = []
        for i in 0..<8 { ops.append(WriteOp(.log(run: id, level: .debug, message: "d\(i)", context: nil))) }
        for i in 0..<8 { ops.append(WriteOp(.log(run: id, level: .info, message: "i\(i)", context: nil))) }
        for i in 0..<12 { ops.append(WriteOp(.log(run: id, level: .error, message: "e\(i)", context: nil))) }
        ops.append(WriteOp(.log(run: id, level: .debug, message: "late debug", context: nil)))
        await store.submit(ops)
        _ = await store.write(.barrier)
        let run = try #require(try await store.run(id))
        #expect(run.logCounts == LogLevelCounts(error: 12))
        #expect(run.droppedLogCounts.debug == 9)
        #expect(run.droppedLogCounts.info == 8)
        let logs = try await store.logs(run: id, minLevel: nil, limit: 100, afterId: 0)
        #expect(logs?.count == 12)
    }

    @Test func reopenKeepsEverything() async throws {
        let (store, dir) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try await start(store)
        _ = await store.write(.addOutcome(run: id, key: "k", count: 5))
        store.close()
        var config = StoreConfiguration(path: dir + "/db.sqlite")
        config.flushIntervalMs = 5
        let again = try JobLogStore(configuration: config, logger: Logger(label: "test"))
        defer { again.close() }
        #expect(try await again.run(id)?.outcome["k"] == 5)
        _ = await again.write(.addOutcome(run: id, key: "k", count: 1))
        #expect(try await again.run(id)?.outcome["k"] == 6)
    }
}
