import Foundation
import JobLogTestSupport
import Testing

/// Two daemons (`--node-name a`, `--node-name b`) on one PostgreSQL database: each run records
/// the node that started it, and either daemon lists one node's runs.
@Suite(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
struct PostgresNodeTests {
    @Test func eachRunRecordsItsNodeAcrossTheFleet() throws {
        let url = try PostgresCluster.makeDatabase()
        let a = try TestDaemon(arguments: ["--store", url, "--node-name", "a"])
        let b = try TestDaemon(arguments: ["--store", url, "--node-name", "b"])
        let onA = try a.connect()
        let onB = try b.connect()
        let first = try #require(try onA.result("startRun", ["jobName": "fleet"])["jobRunId"] as? String)
        let second = try #require(try onB.result("startRun", ["jobName": "fleet"])["jobRunId"] as? String)
        let run = try #require(try onB.result("getRun", ["jobRunId": first])["run"] as? [String: Any])
        #expect(run["node"] as? String == "a")
        for reader in [onA, onB] {
            func ids(_ params: [String: Any]) throws -> [String] {
                let runs = try #require(try reader.result("listRuns", params)["runs"] as? [[String: Any]])
                return runs.compactMap { $0["id"] as? String }
            }
            #expect(try ids(["node": "a"]) == [first])
            #expect(try ids(["node": "b"]) == [second])
            #expect(try ids(["node": "c"]) == [])
            #expect(try ids([:]) == [second, first])
        }
        #expect(a.terminate() == 0)
        #expect(b.terminate() == 0)
    }
}
