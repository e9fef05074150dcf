import Foundation
import JobLogClient
import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogTestSupport
import Testing

/// What the Swift client leaves in a run when the daemon is away: the time of each call
/// (issue 19 #5) and a note of what it had to drop (issue 10 #16).
@Suite struct ClientGapTests {
    @Test func droppedMessagesAreNotedInTheRunAtReconnect() async throws {
        let daemon = try TestDaemon()
        var config = ClientConfiguration(socketPath: daemon.socketPath)
        config.connectTimeout = .seconds(10)
        config.warnings = false
        config.maxRetainedBytes = 64 * 1024  // small, so that an outage overflows it
        let c = JobLogClient(configuration: config)
        defer { c.close() }
        let started = try await c.startRun(StartRunParams(jobName: "gap"))
        let logger = createJobLogger(started.jobRunId, "gap", client: c)
        #expect(await logger.flush())
        daemon.kill9()
        try await Task.sleep(for: .milliseconds(100))
        let padding = String(repeating: "x", count: 100)
        for i in 0..<5000 { await logger.info("while down \(i) \(padding)") }
        try daemon.start()
        #expect(await logger.flush())
        let logs = try await c.getLogs(GetLogsParams(jobRunId: started.jobRunId, level: .warning, limit: 10))
        let notes = logs.filter { $0.message.hasPrefix("client dropped ") }
        #expect(notes.count == 1, "\(logs.map(\.message))")
        let kept = try await c.getLogs(GetLogsParams(jobRunId: started.jobRunId, limit: 10000, afterId: 0))
            .filter { $0.message.hasPrefix("while down") }.count
        let dropped = 5000 - kept
        #expect(dropped > 0)
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US")
        let count = formatter.string(from: NSNumber(value: dropped)) ?? ""
        #expect(notes.first?.message == "client dropped \(count) messages while the daemon was unreachable")
    }

    @Test func entriesKeepTheTimeOfTheCall() async throws {
        let daemon = try TestDaemon()
        var config = ClientConfiguration(socketPath: daemon.socketPath)
        config.connectTimeout = .seconds(10)
        config.warnings = false
        let c = JobLogClient(configuration: config)
        defer { c.close() }
        let started = try await c.startRun(StartRunParams(jobName: "at"))
        let logger = createJobLogger(started.jobRunId, "at", client: c)
        #expect(await logger.flush())
        daemon.kill9()
        let before = Timestamp.now().milliseconds
        await logger.info("during the outage")
        try await Task.sleep(for: .milliseconds(1500))
        try daemon.start()
        await logger.info("after it")
        #expect(await logger.flush())
        let logs = try await c.getLogs(GetLogsParams(jobRunId: started.jobRunId, limit: 10, afterId: 0))
        let during = try #require(logs.first { $0.message == "during the outage" })
        let after = try #require(logs.first { $0.message == "after it" })
        #expect(during.id < after.id, "ordering stays by id")
        #expect(during.createdAt.milliseconds - before < 1000, "the job's time, not the resend's")
        #expect(after.createdAt.milliseconds - during.createdAt.milliseconds >= 1400)
    }
}
