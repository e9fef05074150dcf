import Foundation
import GRDB
import JobLogModel
import Logging

@testable import JobLogStore

/// A store on a new database in a fresh temporary directory, committing within 5 ms; the
/// caller closes the store and removes the directory (the second value).
func makeTestStore(_ configure: (inout StoreConfiguration) -> Void = { _ in }) throws -> (JobLogStore, String) {
    let dir = FileManager.default.temporaryDirectory.path + "/store-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var config = StoreConfiguration(path: dir + "/db.sqlite")
    config.flushIntervalMs = 5
    configure(&config)
    return (try JobLogStore(configuration: config, logger: Logger(label: "test")), dir)
}

/// Starts `count` runs of job `j`; their ids.
func startTestRuns(_ store: JobLogStore, count: Int) async throws -> [Int64] {
    var runs: [Int64] = []
    for _ in 0..<count {
        let new = NewRun(jobName: "j", trigger: "MANUAL", scope: "system", algorithmVersion: nil, params: "{}")
        guard case .run(let run) = await store.write(.startRun(new)) else { throw TestStoreError.startRunFailed }
        runs.append(run.id)
    }
    return runs
}

/// SQLite's plan for a statement: the `detail` lines of `EXPLAIN QUERY PLAN`.
func queryPlan(_ queue: DatabaseQueue, _ sql: String, _ arguments: StatementArguments) async throws -> [String] {
    try await queue.read { db in
        try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
    }
}

enum TestStoreError: Error { case startRunFailed }
