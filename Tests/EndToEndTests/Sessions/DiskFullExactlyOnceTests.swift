import Foundation
import JobLogClient
import JobLogJSON
import JobLogProtocol
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly once through a full disk (issue 14): the Swift client streams into a run whose database
/// is on a small tmpfs that fills and is then freed. `-32005` acknowledges nothing: the client keeps
/// its buffer, reconnects with backoff, and after `hello` resends what was not applied. Afterwards
/// the counters and the entries are exactly what was sent.
@Suite(.enabled(if: !TestDaemon.onPostgres, "\(TestDaemon.sqliteOnlyReason)")) struct DiskFullExactlyOnceTests {
    @Test(.enabled(if: StoreFaultTests.canMountTmpfs, "mounting a tmpfs needs root with the right to mount"))
    func swiftClientCountsExactlyThroughDiskFull() async throws {
        let directory =
            FileManager.default.temporaryDirectory.path + "/joblogd-exact-full-" + UUID().uuidString.prefix(8)
        let mountPoint = directory + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = Reliability.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount -t tmpfs failed: \(mounted.output)")
        let daemon = try TestDaemon(
            arguments: ["--flush-interval-ms", "2"], directory: directory, databasePath: mountPoint + "/db.sqlite")
        defer {
            daemon.terminate()
            Reliability.run(["umount", mountPoint])
        }
        var configuration = ClientConfiguration(socketPath: daemon.socketPath)
        configuration.warnings = false
        configuration.unreachableTimeout = .seconds(60)
        let client = JobLogClient(configuration: configuration)
        let id = try await client.startRun(StartRunParams(jobName: "exactly-disk-full")).jobRunId
        var logs: [String] = []
        var progress = 0
        var outcome = 0
        let padding = String(repeating: "p", count: 400)
        func send(_ range: Range<Int>) {
            for i in range {
                switch i % 3 {
                case 0:
                    let context = RawJSON(validating: #"{"i":\#(i),"pad":"\#(padding)"}"#)
                    client.notify(.info, LogParams(jobRunId: id, level: .info, message: "m\(i)", context: context))
                    logs.append("m\(i)")
                case 1:
                    client.notify(.incrementProgress, IncrementProgressParams(jobRunId: id))
                    progress += 1
                default:
                    client.notify(.addOutcome, AddOutcomeParams(jobRunId: id, key: "k"))
                    outcome += 1
                }
                if i % 100 == 99 { usleep(2_000) }
            }
        }
        send(0..<1500)
        #expect(await client.flush(timeout: .seconds(10)))
        let filled = StoreFaultTests.fill(mountPoint + "/filler")
        send(1500..<9000)
        // Long enough for the daemon to refuse and the client to retry a few times.
        usleep(1_500_000)
        let refused = Reliability.logLines(daemon, containing: "store write failed")
        #expect(unlink(mountPoint + "/filler") == 0)
        send(9000..<10_500)
        var flushed = false
        for _ in 0..<20 where !flushed { flushed = await client.flush(timeout: .seconds(5)) }
        #expect(flushed)
        client.close()
        print("disk full (sessions): filled \(filled) bytes; the daemon refused writes: \(refused > 0)")
        #expect(refused > 0, "the tmpfs never filled up: the test proved nothing")

        let check = try daemon.connect()
        let run = try check.result("getRun", ["jobRunId": String(id)])["run"] as? [String: Any] ?? [:]
        let stored = try Reliability.allLogs(check, String(id)).compactMap { $0["message"] as? String }
        #expect(run["progressCurrent"] as? Int == progress)
        #expect((run["outcomeSummary"] as? [String: Int])?["k"] == outcome)
        #expect(stored.count == logs.count, "\(stored.count) entries stored, \(logs.count) sent")
        let firstDifference = zip(stored, logs).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(stored == logs, "nothing lost, nothing doubled; first difference at \(firstDifference ?? -1)")
        #expect(Reliability.integrityCheck(daemon) == "ok")
    }
}
