import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 10 points 1, 2 and 14: a store has one owner, the socket path stays the daemon's own, and
/// a database file deleted or replaced under the daemon stops writes instead of losing them.
@Suite struct OneDaemonPerStoreTests {
    @Test func aSecondDaemonOnTheSameDatabaseRefusesToStart() throws {
        let first = try TestDaemon()
        let second = Hardening.runDaemon(["--socket", first.directory + "/other.sock", "--db", first.databasePath])
        #expect(second.status != 0, "the second daemon must not start: \(second.output)")
        #expect(second.output.contains("pid \(first.pid)"), "names the first daemon's pid: \(second.output)")
        #expect(second.output.contains(first.socketPath), "names the first daemon's socket: \(second.output)")
        #expect(!FileManager.default.fileExists(atPath: first.directory + "/other.sock"))
        // The first one still serves, and once it is gone the store can be opened again.
        let client = try first.connect()
        #expect(try client.result("ping")["version"] != nil)
        client.close()
        first.terminate()
        try first.start()
        #expect(try first.connect().result("ping")["version"] != nil)
    }

    @Test func aLockLeftByAKilledDaemonDoesNotBlockTheNextOne() throws {
        let daemon = try TestDaemon()
        daemon.kill9()
        try daemon.start()
        #expect(try daemon.connect().result("ping")["version"] != nil)
    }

    @Test func aRemovedSocketFileIsCreatedAgain() throws {
        let daemon = try TestDaemon()
        let kept = try daemon.connect()
        unlink(daemon.socketPath)
        let back = Hardening.eventually(30) { (try? LineClient(path: daemon.socketPath)) != nil }
        #expect(back, "the socket file is back: \(daemon.daemonLog())")
        #expect(try daemon.connect().result("ping")["version"] != nil)
        #expect(try kept.result("ping")["version"] != nil, "open connections are still served")
        #expect(Reliability.logLines(daemon, containing: "socket file was removed") >= 1)
    }

    @Test func aSocketPathTakenByAnotherProcessIsLeftToIt() throws {
        let daemon = try TestDaemon()
        // Another process takes the path between two checks.
        var intruder: Int32 = -1
        for _ in 0..<50 where intruder < 0 {
            unlink(daemon.socketPath)
            intruder = Self.listen(daemon.socketPath)
        }
        try #require(intruder >= 0, "could bind the intruder's socket")
        defer { close(intruder) }
        let noticed = Hardening.eventually(30) {
            Reliability.logLines(daemon, containing: "belongs to another file") >= 1
        }
        #expect(noticed, "the daemon noticed: \(daemon.daemonLog())")
        daemon.terminate()
        #expect(FileManager.default.fileExists(atPath: daemon.socketPath), "shutdown left the other socket alone")
    }

    @Test(.enabled(if: !TestDaemon.onPostgres, "\(TestDaemon.sqliteOnlyReason)"))
    func aDeletedDatabaseStopsWritesWithTheCause() throws {
        let daemon = try TestDaemon(arguments: ["--liveness-interval-ms", "50"])
        let client = try daemon.connect()
        let run = try #require(try client.result("startRun", ["jobName": "victim"])["jobRunId"] as? String)
        for suffix in ["", "-wal", "-shm"] { unlink(daemon.databasePath + suffix) }
        var last: [String: Any] = [:]
        let refused = try Hardening.eventually(30) {
            last = try client.call("info", ["jobRunId": run, "message": "after the delete"])
            return Hardening.code(last) == -32005
        }
        #expect(refused, "writes are refused: \(last)")
        #expect(Hardening.reason(last).contains("deleted"), "the reason names the cause: \(last)")
        #expect(Reliability.logLines(daemon, containing: "database file lost") == 1, "logged once")
    }

    @Test(.enabled(if: !TestDaemon.onPostgres, "\(TestDaemon.sqliteOnlyReason)"))
    func aReplacedDatabaseStopsWritesWithTheCause() throws {
        let daemon = try TestDaemon(arguments: ["--liveness-interval-ms", "50"])
        let client = try daemon.connect()
        let run = try #require(try client.result("startRun", ["jobName": "victim"])["jobRunId"] as? String)
        let other = daemon.directory + "/other.sqlite"
        #expect(
            Reliability.run([
                "python3", "-c", "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('create table t(x)')", other,
            ]).status == 0)
        #expect(rename(other, daemon.databasePath) == 0)
        var last: [String: Any] = [:]
        let refused = try Hardening.eventually(30) {
            last = try client.call("info", ["jobRunId": run, "message": "after the swap"])
            return Hardening.code(last) == -32005
        }
        #expect(refused, "writes are refused: \(last)")
        #expect(Hardening.reason(last).contains("replaced"), "the reason names the cause: \(last)")
        daemon.kill9()
        // The old WAL does not land on the new file, even after kill -9 (it was emptied into the old one).
        let tables = Reliability.run([
            "python3", "-c",
            "import sqlite3,sys; print(sorted(r[0] for r in sqlite3.connect(sys.argv[1]).execute(\"select name from sqlite_master where type='table'\")))",
            daemon.databasePath,
        ])
        #expect(tables.output == "['t']", "the replacement file is untouched: \(tables.output)")
    }

    /// A listening Unix socket at `path`; its descriptor, or -1.
    static func listen(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0, Glibc.listen(fd, 8) == 0 else {
            close(fd)
            return -1
        }
        return fd
    }
}
