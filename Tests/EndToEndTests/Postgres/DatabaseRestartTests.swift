import Foundation
import JobLogTestSupport
import Testing

/// PostgreSQL restarting or down under a running daemon (issue 17, faults): each test has a
/// private cluster of its own (``PrivatePostgresCluster``), never the shared one. Clients writing
/// with requests get `-32005` while the database is away, then the daemon reconnects by itself
/// (no restart of the daemon) and every acknowledged entry is in the store.
@Suite(.enabled(if: PrivatePostgresCluster.available, "\(PrivatePostgresCluster.unavailableReason)"))
struct DatabaseRestartTests {
    static let writers = 4

    /// Starts `writers` clients, each into its own run, and waits until each was acknowledged for
    /// `count` entries.
    static func startWriters(_ daemon: TestDaemon, count: Int) throws -> [AckedWriter] {
        let writers = try (0..<Self.writers).map { try AckedWriter(socketPath: daemon.socketPath, name: "w\($0)") }
        for w in writers { w.start() }
        for w in writers {
            let reached = w.waitForAcknowledged(count)
            #expect(reached, "\(w.name): \(w.snapshot.otherErrors)")
        }
        return writers
    }

    /// Every acknowledged entry of every writer is stored, once; nothing stored was not sent.
    static func checkNothingAcknowledgedLost(
        _ writers: [AckedWriter], _ tallies: [AckedWriter.Tally], _ reader: LineClient
    )
        throws
    {
        for (w, tally) in zip(writers, tallies) {
            #expect(tally.otherErrors.isEmpty, "\(w.name): \(tally.otherErrors)")
            let stored = try w.stored(through: reader)
            let storedSet = Set(stored)
            let lost = tally.acknowledged.filter { !storedSet.contains($0) }
            #expect(lost.isEmpty, "\(w.name): acknowledged but not stored: \(lost.prefix(20))")
            #expect(stored.count == storedSet.count, "\(w.name): an entry stored twice")
            #expect(stored == stored.sorted(), "\(w.name): entries out of order")
            let sent = tally.acknowledged.count + tally.unavailable
            #expect(stored.allSatisfy { $0 >= 1 && $0 <= sent + 1 })
        }
    }

    @Test func aFastRestartMidIngestLosesNoAcknowledgedWrite() throws {
        let cluster = try PrivatePostgresCluster()
        let url = try cluster.makeDatabase()
        let daemon = try TestDaemon(arguments: ["--store", url])
        let writers = try Self.startWriters(daemon, count: 200)

        try cluster.restart()
        // Recovery without restarting the daemon: every writer is acknowledged again, many times.
        let before = writers.map { $0.snapshot.acknowledged.count }
        for (w, n) in zip(writers, before) {
            let resumed = w.waitForAcknowledged(n + 200)
            #expect(resumed, "\(w.name) did not resume: \(w.snapshot.lastUnavailableReason) \(w.snapshot.otherErrors)")
        }
        let tallies = writers.map { $0.stop() }
        #expect(daemon.process?.isRunning == true)
        // The restart cut the writer's connection mid-ingest: some transaction was refused.
        #expect(tallies.map(\.unavailable).reduce(0, +) > 0, "no -32005 during the restart")

        try Self.checkNothingAcknowledgedLost(writers, tallies, try daemon.connect())
        let log = daemon.daemonLog()
        #expect(log.contains("store write failed") && log.contains("store writable again"), "\(log.suffix(2000))")
        #expect(daemon.terminate() == 0)
    }

    @Test func anOutageFailsWritesAndReadsFastThenRecovers() throws {
        let cluster = try PrivatePostgresCluster()
        let url = try cluster.makeDatabase()
        let daemon = try TestDaemon(arguments: ["--store", url])
        let writers = try Self.startWriters(daemon, count: 100)
        let reader = try daemon.connect()

        try cluster.stop()
        // Every writer is refused while the database is down, each answer at once (no batch
        // waits on a connect: between attempts the last reason is given).
        let counts = writers.map { $0.snapshot.unavailable }
        for (w, n) in zip(writers, counts) {
            let deadline = Date().addingTimeInterval(10)
            while w.snapshot.unavailable < n + 20, Date() < deadline { usleep(10_000) }
            #expect(
                w.snapshot.unavailable >= n + 20,
                "\(w.name) was not refused: \(w.snapshot.otherErrors) \(daemon.daemonLog().suffix(4000))")
        }
        // Reads fail fast too (the pool would queue them until its own timeout).
        for _ in 0..<3 {
            let t0 = Date()
            let response = try reader.call("getRun", ["jobRunId": writers[0].run])
            let elapsed = Date().timeIntervalSince(t0)
            #expect((response["error"] as? [String: Any])?["code"] as? Int == -32005, "\(response)")
            #expect(elapsed < 3, "a read took \(elapsed) s during the outage")
        }
        let refused = writers.map(\.snapshot)
        for tally in refused {
            #expect(tally.slowestUnavailable < 3, "a write waited \(tally.slowestUnavailable) s for its -32005")
            #expect(tally.lastUnavailableReason.contains("PostgreSQL"), "reason: \(tally.lastUnavailableReason)")
        }

        try cluster.start()
        let before = writers.map { $0.snapshot.acknowledged.count }
        for (w, n) in zip(writers, before) {
            let resumed = w.waitForAcknowledged(n + 100, seconds: 30)
            #expect(resumed, "\(w.name) did not resume: \(w.snapshot.lastUnavailableReason)")
        }
        let tallies = writers.map { $0.stop() }
        // Reads recover too (the pool reconnects with its own backoff).
        let deadline = Date().addingTimeInterval(30)
        var answer: [String: Any] = [:]
        repeat {
            answer = try reader.call("getRun", ["jobRunId": writers[0].run])
            if answer["result"] != nil { break }
            usleep(100_000)
        } while Date() < deadline
        #expect(answer["result"] != nil, "reads did not recover: \(answer)")
        try Self.checkNothingAcknowledgedLost(writers, tallies, reader)
        #expect(daemon.terminate() == 0)
    }

    /// Decision: the daemon does not start without its database (it could not check the schema):
    /// it exits with status 2 naming the cause, and a service manager's restart brings it up once
    /// PostgreSQL is back.
    @Test func aDaemonStartedWhileTheDatabaseIsDownExitsThenStartsOnceItIsUp() throws {
        let cluster = try PrivatePostgresCluster()
        let url = try cluster.makeDatabase()
        try cluster.stop()

        let directory = FileManager.default.temporaryDirectory.path + "/joblogd-pgdown-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestDaemon.binary)
        p.arguments = ["--socket", directory + "/sock", "--db", directory + "/db", "--http", "off", "--store", url]
        let errors = Pipe()
        p.standardError = errors
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 2)
        #expect(output.contains("cannot open the PostgreSQL store"), "\(output)")

        try cluster.start()
        let daemon = try TestDaemon(arguments: ["--store", url])
        let client = try daemon.connect()
        let id = try client.result("startRun", ["jobName": "after-outage"])["jobRunId"] as! String
        _ = try client.result("info", ["jobRunId": id, "message": "up"])
        #expect(daemon.terminate() == 0)
    }
}
