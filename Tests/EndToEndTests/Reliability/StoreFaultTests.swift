import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The database cannot take writes (disk full, read-only file, another process holding the
/// write lock): reads are still served, writes are answered `-32005` with the reason in bounded
/// time, the cause is logged once, no answer acknowledges a write that was not stored, and
/// the daemon recovers by itself once the cause is gone.
@Suite(.enabled(if: !TestDaemon.onPostgres, "\(TestDaemon.sqliteOnlyReason)")) struct StoreFaultTests {
    /// An answer's error code and reason (nil, nil for a result).
    static func failure(_ answer: [String: Any]) -> (code: Int?, reason: String?) {
        guard let error = answer["error"] as? [String: Any] else { return (nil, nil) }
        return (error["code"] as? Int, (error["data"] as? [String: Any])?["reason"] as? String)
    }

    /// Sends a request and measures how long its answer took.
    static func timed(_ client: LineClient, _ method: String, _ params: [String: Any] = [:]) throws -> (
        answer: [String: Any], ms: Int
    ) {
        let start = Date()
        let answer = try client.call(method, params)
        return (answer, Reliability.ms(since: start))
    }

    static func logMessages(_ client: LineClient, _ run: String) throws -> [String] {
        try Reliability.allLogs(client, run).compactMap { $0["message"] as? String }
    }

    /// Writes zeros until the file system is full; returns the bytes written.
    static func fill(_ path: String) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var size = 65536
        var total = 0
        let zeros = [UInt8](repeating: 0, count: size)
        while size > 0 {
            let n = zeros.withUnsafeBytes { write(fd, $0.baseAddress, size) }
            if n > 0 { total += n } else { size /= 2 }
        }
        return total
    }

    /// True when a file can be made read-only to this process: `chattr +i` as root (root ignores
    /// file modes), `chmod 444` otherwise.
    static let canProtectFiles: Bool = {
        let probe =
            FileManager.default.temporaryDirectory.path + "/joblogd-protect-probe-" + UUID().uuidString.prefix(8)
        guard FileManager.default.createFile(atPath: probe, contents: Data("x".utf8)) else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard Reliability.isRoot else { return Reliability.run(["chmod", "444", probe]).status == 0 }
        guard Reliability.run(["chattr", "+i", probe]).status == 0 else { return false }
        Reliability.run(["chattr", "-i", probe])
        return true
    }()

    /// True when this process may mount a tmpfs (root with the capability to mount).
    static let canMountTmpfs: Bool = {
        guard Reliability.isRoot else { return false }
        let probe = FileManager.default.temporaryDirectory.path + "/joblogd-mount-probe-" + UUID().uuidString.prefix(8)
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard Reliability.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]).status == 0 else {
            return false
        }
        Reliability.run(["umount", probe])
        return true
    }()

    @Test(.enabled(if: canMountTmpfs, "mounting a 2 MB tmpfs needs root with the right to mount"))
    func diskFull() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/joblogd-full-" + UUID().uuidString.prefix(8)
        let mountPoint = directory + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = Reliability.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount -t tmpfs failed: \(mounted.output)")
        // The database on the small file system; the socket and the daemon's log are not.
        let daemon = try TestDaemon(directory: directory, databasePath: mountPoint + "/db.sqlite")
        defer {
            daemon.terminate()
            Reliability.run(["umount", mountPoint])
        }
        let a = try daemon.connect()
        let runA = try a.result("startRun", ["jobName": "full-a"])["jobRunId"] as! String
        for i in 0..<100 { try a.notify("info", ["jobRunId": runA, "message": "before \(i)"]) }
        _ = try a.result("ping")
        let b = try daemon.connect()
        let runB = try b.result("startRun", ["jobName": "full-b"])["jobRunId"] as! String
        let c = try daemon.connect()
        let runC = try c.result("startRun", ["jobName": "full-c"])["jobRunId"] as! String

        let filled = Self.fill(mountPoint + "/filler")
        // SQLite may reuse space it already holds: write until the file system says no.
        let big = String(repeating: "x", count: 16_000)
        var firstFailure: (answer: [String: Any], ms: Int)?
        var storedWhileFilling = 0
        for _ in 0..<400 {
            let t = try Self.timed(a, "info", ["jobRunId": runA, "message": big])
            if t.answer["result"] != nil {
                storedWhileFilling += 1
                continue
            }
            firstFailure = t
            break
        }
        let first = try #require(firstFailure, "writes never failed on a full file system")
        #expect(Self.failure(first.answer).code == -32005)
        #expect(Self.failure(first.answer).reason == "disk full")
        #expect(first.ms < 2000)

        // Reads, pings and other connections are still served.
        let reader = try daemon.connect()
        let read = try Self.timed(reader, "getRun", ["jobRunId": runA])
        #expect(((read.answer["result"] as? [String: Any])?["run"] as? [String: Any])?["id"] as? String == runA)
        #expect(try Self.logMessages(reader, runA).count == 100 + storedWhileFilling)
        #expect(try daemon.connect().result("ping")["protocolVersion"] as? Int == 2)

        // Every write is refused promptly, and the cause is logged once, not per write.
        var slowest = 0
        for i in 0..<20 {
            let t = try Self.timed(
                a, i % 2 == 0 ? "info" : "startRun", ["jobRunId": runA, "jobName": "x", "message": "m"])
            #expect(Self.failure(t.answer).code == -32005)
            slowest = max(slowest, t.ms)
        }

        // Notifications and a ping in one burst: the ping does not acknowledge what was lost.
        var burst = ""
        for i in 0..<200 {
            burst += #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":\#(runC),"message":"lost \#(i)"}}"# + "\n"
        }
        try c.sendBytes(Array((burst + #"{"jsonrpc":"2.0","method":"ping","id":"c1"}"# + "\n").utf8))
        let cAnswer =
            try JSONSerialization.jsonObject(with: Data(try #require(try c.readLine()).utf8)) as! [String: Any]
        #expect(Self.failure(cAnswer).code == -32005, "a ping after lost notifications answered \(cAnswer)")
        // Reported once: the next ping (nothing new in flight) is fine.
        #expect(try c.call("ping")["result"] != nil)

        // Notifications lost with no request after them, then space returns.
        for i in 0..<50 { try b.notify("info", ["jobRunId": runB, "message": "lost \(i)"]) }
        usleep(300_000)
        #expect(Reliability.logLines(daemon, containing: "store write failed") == 1)
        let failedLog = daemon.daemonLog().split(separator: "\n").first { $0.contains("store write failed") }
        #expect(failedLog?.contains("disk full") == true)

        #expect(unlink(mountPoint + "/filler") == 0)
        print("diskFull: filled \(filled) bytes, \(storedWhileFilling) writes fit, first refusal in \(first.ms) ms")
        let recovered = try Self.timed(a, "info", ["jobRunId": runA, "message": "after"])
        #expect(recovered.answer["result"] != nil, "no recovery: \(recovered.answer)")
        #expect(Reliability.logLines(daemon, containing: "store writable again") == 1)

        // b's next request reports its lost notifications; what b sends in between is held back.
        for i in 0..<10 { try b.notify("info", ["jobRunId": runB, "message": "held \(i)"]) }
        let bAnswer = try b.call("ping")
        #expect(Self.failure(bAnswer).code == -32005)
        #expect(Self.failure(bAnswer).reason?.contains("disk full") == true)
        for i in 0..<10 { try b.notify("info", ["jobRunId": runB, "message": "kept \(i)"]) }
        #expect(try b.call("ping")["result"] != nil)
        #expect(try Self.logMessages(reader, runB) == (0..<10).map { "kept \($0)" })
        #expect(try Self.logMessages(reader, runC).isEmpty)
        #expect(try Self.logMessages(reader, runA).last == "after")
        #expect(Reliability.logLines(daemon, containing: "store write failed") == 1)
        #expect(Reliability.integrityCheck(daemon) == "ok")
    }

    /// Another process holds the write lock (`BEGIN IMMEDIATE`), past the store's 5 s busy timeout.
    @Test(.enabled(if: Reliability.hasCommand("python3"), "python3 holds the lock and is not installed"))
    func lockedDatabase() throws {
        let daemon = try TestDaemon()
        let a = try daemon.connect()
        let runA = try a.result("startRun", ["jobName": "locked-a"])["jobRunId"] as! String
        for i in 0..<50 { try a.notify("info", ["jobRunId": runA, "message": "before \(i)"]) }
        _ = try a.result("ping")
        let runC = try a.result("startRun", ["jobName": "locked-c"])["jobRunId"] as! String

        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            db.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            sys.stdin.readline()
            db.execute("ROLLBACK")
            """
        holder.arguments = ["python3", "-c", script, daemon.databasePath]
        let toHolder = Pipe()
        let fromHolder = Pipe()
        holder.standardInput = toHolder
        holder.standardOutput = fromHolder
        try holder.run()
        defer {
            if holder.isRunning { holder.terminate() }
        }
        let said = String(decoding: fromHolder.fileHandleForReading.availableData, as: UTF8.self)
        try #require(said.contains("locked"), "the lock holder did not start: \(said)")

        // A write and a burst of notifications plus ping wait for the lock, then fail; meanwhile
        // reads and pings of other connections are answered at once.
        let results = Locked<[String: (answer: [String: Any], ms: Int)]>([:])
        let waiting = DispatchSemaphore(value: 0)
        let c = try daemon.connect()
        Thread {
            let t = try? Self.timed(a, "info", ["jobRunId": runA, "message": "while locked"])
            results.withLock { $0["a"] = t }
            waiting.signal()
        }.start()
        Thread {
            for i in 0..<20 { try? c.notify("info", ["jobRunId": runC, "message": "lost \(i)"]) }
            let t = try? Self.timed(c, "ping")
            results.withLock { $0["c"] = t }
            waiting.signal()
        }.start()
        usleep(200_000)
        let reader = try daemon.connect()
        let read = try Self.timed(reader, "getLogs", ["jobRunId": runA, "limit": 1000])
        #expect(((read.answer["result"] as? [String: Any])?["logs"] as? [Any])?.count == 50)
        #expect(read.ms < 1000, "a read waited \(read.ms) ms for the writer")
        let ping = try Self.timed(try daemon.connect(), "ping")
        #expect(ping.answer["result"] != nil && ping.ms < 1000)
        waiting.wait()
        waiting.wait()
        for (name, t) in results.current {
            #expect(Self.failure(t.answer).code == -32005, "\(name): \(t.answer)")
            #expect(Self.failure(t.answer).reason == "database is locked")
            // The 5 s busy timeout, perhaps twice (two batches), never a hang.
            #expect(t.ms < 15_000, "\(name) answered after \(t.ms) ms")
            print("lockedDatabase: \(name) refused after \(t.ms) ms")
        }
        #expect(results.current.count == 2)
        // Still locked: refused again, still logged once.
        let again = try Self.timed(a, "setStage", ["jobRunId": runA, "stage": "s"])
        #expect(Self.failure(again.answer).code == -32005)
        #expect(Reliability.logLines(daemon, containing: "store write failed") == 1)

        toHolder.fileHandleForWriting.write(Data("release\n".utf8))
        holder.waitUntilExit()
        let recovered = try Self.timed(a, "info", ["jobRunId": runA, "message": "after"])
        #expect(recovered.answer["result"] != nil, "no recovery: \(recovered.answer)")
        #expect(recovered.ms < 2000)
        #expect(try c.call("ping")["result"] != nil)
        #expect(Reliability.logLines(daemon, containing: "store writable again") == 1)
        #expect(try Self.logMessages(reader, runA) == (0..<50).map { "before \($0)" } + ["after"])
        #expect(try Self.logMessages(reader, runC).isEmpty)
        #expect(Reliability.integrityCheck(daemon) == "ok")
    }

    /// A read-only database file. A running daemon's open file cannot be made read-only under it
    /// (chmod and chattr leave open descriptors writable, root ignores the mode, and a tmpfs with
    /// files open for writing refuses `remount,ro`), so the daemon is restarted on the file:
    /// `chattr +i` as root (which binds root too), else `chmod 444`.
    @Test(.enabled(if: canProtectFiles, "no way to make a file read-only here (chattr +i as root, chmod otherwise)"))
    func readOnlyDatabase() throws {
        let daemon = try TestDaemon()
        let a = try daemon.connect()
        let run = try a.result("startRun", ["jobName": "read-only"])["jobRunId"] as! String
        for i in 0..<20 { try a.notify("info", ["jobRunId": run, "message": "before \(i)"]) }
        _ = try a.result("ping")
        a.close()
        #expect(daemon.terminate() == 0)

        let db = daemon.databasePath
        let protect: [String]
        let unprotect: [String]
        if Reliability.isRoot {
            protect = ["chattr", "+i", db]
            unprotect = ["chattr", "-i", db]
        } else {
            protect = ["chmod", "444", db]
            unprotect = ["chmod", "644", db]
        }
        let protected = Reliability.run(protect)
        try #require(protected.status == 0, "\(protect.joined(separator: " ")) failed: \(protected.output)")
        defer { Reliability.run(unprotect) }
        try daemon.start()
        let client = try daemon.connect()
        #expect(try Self.logMessages(client, run).count == 20)
        var slowest = 0
        for method in ["info", "startRun", "incrementProgress"] {
            let t = try Self.timed(client, method, ["jobRunId": run, "jobName": "x", "message": "m"])
            #expect(Self.failure(t.answer).code == -32005, "\(method): \(t.answer)")
            #expect(Self.failure(t.answer).reason == "database is read-only", "\(method): \(t.answer)")
            slowest = max(slowest, t.ms)
        }
        #expect(try daemon.connect().result("ping")["protocolVersion"] as? Int == 2)
        #expect(Reliability.logLines(daemon, containing: "store write failed") == 1)

        #expect(Reliability.run(unprotect).status == 0)
        let writable = Date()
        let deadline = writable.addingTimeInterval(5)
        var recovered: [String: Any] = [:]
        var attempts = 0
        repeat {
            attempts += 1
            recovered = try client.call("info", ["jobRunId": run, "message": "after"])
            if recovered["result"] != nil { break }
            usleep(100_000)
        } while Date() < deadline
        print(
            "readOnly (\(protect[0])): writes refused in at most \(slowest) ms; first write after the file became"
                + " writable succeeded at attempt \(attempts), \(Reliability.ms(since: writable)) ms")
        #expect(recovered["result"] != nil, "no recovery once the file is writable: \(recovered)")
        #expect(Reliability.logLines(daemon, containing: "store writable again") == 1)
        #expect(try Self.logMessages(client, run).suffix(2) == ["before 19", "after"])
        #expect(Reliability.integrityCheck(db) == "ok")
    }
}
