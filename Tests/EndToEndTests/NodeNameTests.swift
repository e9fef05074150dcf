import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--node-name`: every run records the daemon that started it (`node` on `getRun`/`listRuns`),
/// and `listRuns {"node"}` keeps one daemon's runs.
@Suite struct NodeNameTests {
    /// The host name as `gethostname(2)` gives it.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = gethostname(&buffer, buffer.count - 1)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func theNodeIsTheHostNameByDefault() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        let id = try #require(try c.result("startRun", ["jobName": "here"])["jobRunId"] as? String)
        let run = try #require(try c.result("getRun", ["jobRunId": id])["run"] as? [String: Any])
        #expect(!Self.hostName.isEmpty)
        #expect(run["node"] as? String == Self.hostName)
        let listed = try #require(try c.result("listRuns")["runs"] as? [[String: Any]])
        #expect(listed.first?["node"] as? String == Self.hostName)
    }

    @Test func listRunsKeepsOneNodesRuns() throws {
        let a = try TestDaemon(arguments: ["--node-name", "a"])
        let onA = try a.connect()
        let first = try #require(try onA.result("startRun", ["jobName": "j"])["jobRunId"] as? String)
        let run = try #require(try onA.result("getRun", ["jobRunId": first])["run"] as? [String: Any])
        #expect(run["node"] as? String == "a")
        #expect(a.daemonLog().contains("node=a"), "the start line names the node")
        #expect(a.terminate() == 0)

        // The same store under another name: the old run keeps its node.
        let b = try TestDaemon(arguments: ["--node-name", "b"], directory: a.directory)
        let onB = try b.connect()
        let second = try #require(try onB.result("startRun", ["jobName": "j"])["jobRunId"] as? String)
        func ids(_ params: [String: Any]) throws -> [String] {
            let runs = try #require(try onB.result("listRuns", params)["runs"] as? [[String: Any]])
            return runs.compactMap { $0["id"] as? String }
        }
        #expect(try ids(["node": "a"]) == [first])
        #expect(try ids(["node": "b"]) == [second])
        #expect(try ids(["node": "b", "jobName": "other"]) == [])
        #expect(try ids(["node": "nowhere"]) == [])
        #expect(try ids([:]) == [second, first])
        let old = try #require(try onB.result("getRun", ["jobRunId": first])["run"] as? [String: Any])
        #expect(old["node"] as? String == "a")
        #expect(b.terminate() == 0)
    }

    @Test func aBadNodeFilterIsInvalidParams() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        for bad: Any in [5, true, "", String(repeating: "n", count: 201), "a\u{0}b", ["a"]] {
            let answer = try c.call("listRuns", ["node": bad])
            #expect((answer["error"] as? [String: Any])?["code"] as? Int == -32602, "\(bad): \(answer)")
        }
    }

    @Test func anEmptyOrLongNodeNameIsRefusedAtStart() {
        for bad in ["", String(repeating: "n", count: 201)] {
            let dir = FileManager.default.temporaryDirectory.path + "/joblogd-node-" + UUID().uuidString.prefix(8)
            let (status, output) = Hardening.runDaemon([
                "--socket", dir + "/sock", "--db", dir + "/db.sqlite", "--http", "off", "--node-name", bad,
            ])
            #expect(status != 0)
            #expect(output.contains("--node-name"), "\(output)")
        }
    }
}
