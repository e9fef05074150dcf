import Foundation
import JobLogClient
import JobLogJSON
import JobLogProtocol
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly once across daemon crashes (issue 14), with the Swift client: a job streams mixed
/// messages (info with context, incrementProgress, addOutcome) into one run while the daemon is
/// `kill -9`ed and restarted at random points. Afterwards every counter equals what the job sent,
/// the log entries are exactly the sent ones, in order, each once, and the file is sound.
///
/// `JOBLOG_EXACT_KILLS` (default 20) and `JOBLOG_EXACT_MESSAGES` (default 20,000) size it;
/// `Scripts/soak-crash.sh` runs it with 200 kills.
@Suite struct ExactlyOnceCrashTests {
    static var kills: Int { Int(ProcessInfo.processInfo.environment["JOBLOG_EXACT_KILLS"] ?? "") ?? 20 }
    static var messages: Int { Int(ProcessInfo.processInfo.environment["JOBLOG_EXACT_MESSAGES"] ?? "") ?? 20_000 }

    /// What the stream sent, to compare with what is stored.
    struct Expected {
        var logs: [String] = []
        var progress = 0
        var outcome: [String: Int] = [:]
    }

    @Test func swiftClientCountsExactlyAcrossKill9() async throws {
        // Commits every millisecond while the client asks for an acknowledgement every 100 ms: a kill
        // mostly lands between a commit and its acknowledgement, where a plain resend would double.
        let daemon = try TestDaemon(arguments: ["--flush-interval-ms", "1"])
        var configuration = ClientConfiguration(socketPath: daemon.socketPath)
        configuration.warnings = false
        configuration.unreachableTimeout = .seconds(30)
        let client = JobLogClient(configuration: configuration)
        let run = try await client.startRun(StartRunParams(jobName: "exactly-swift"))
        let id = run.jobRunId
        var rng = SeededGenerator(seed: SeededGenerator.seed())
        var killAt = Array((1..<Self.messages).shuffled(using: &rng).prefix(Self.kills)).sorted()
        var expected = Expected()
        for i in 0..<Self.messages {
            while killAt.first == i {
                killAt.removeFirst()
                // Let some of what is buffered reach the daemon and be committed, unacknowledged.
                usleep(UInt32.random(in: 0...30_000, using: &rng))
                daemon.kill9()
                try daemon.start()
            }
            switch i % 3 {
            case 0:
                let context = RawJSON(validating: #"{"i":\#(i)}"#)
                client.notify(.info, LogParams(jobRunId: id, level: .info, message: "m\(i)", context: context))
                expected.logs.append("m\(i)")
            case 1:
                client.notify(.incrementProgress, IncrementProgressParams(jobRunId: id))
                expected.progress += 1
            default:
                let key = "k\(i / 3 % 3)"
                client.notify(.addOutcome, AddOutcomeParams(jobRunId: id, key: key))
                expected.outcome[key, default: 0] += 1
            }
        }
        var flushed = false
        for _ in 0..<10 where !flushed { flushed = await client.flush(timeout: .seconds(10)) }
        #expect(flushed)
        client.close()

        let check = try daemon.connect()
        let stored = try check.result("getRun", ["jobRunId": String(id)])["run"] as? [String: Any] ?? [:]
        let logs = try Reliability.allLogs(check, String(id)).compactMap { $0["message"] as? String }
        #expect(stored["progressCurrent"] as? Int == expected.progress)
        #expect(stored["outcomeSummary"] as? [String: Int] == expected.outcome)
        #expect(logs.count == expected.logs.count, "\(logs.count) entries stored, \(expected.logs.count) sent")
        let firstDifference = zip(logs, expected.logs).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(
            logs == expected.logs,
            "the entries are the sent ones, in order, each once; first difference at \(firstDifference ?? -1)")
        #expect(Reliability.integrityCheck(daemon) == "ok")
    }
}
