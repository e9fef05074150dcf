import Foundation
import JobLogClient
import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom at step 3" }
}

/// The Swift client against a live daemon.
@Suite struct RunJobTests {
    func client(_ daemon: TestDaemon) -> JobLogClient {
        var config = ClientConfiguration(socketPath: daemon.socketPath)
        config.connectTimeout = .seconds(2)
        return JobLogClient(configuration: config)
    }

    @Test func userSyncExampleIsStoredExactly() throws {
        let daemon = try TestDaemon()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestDaemon.packageRoot + "/.build/debug/user-sync-example")
        p.environment = ["JOBLOG_SOCKET": daemon.socketPath, "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let label = try #require(
            printed.split(separator: "\n").first { $0.hasPrefix("run id: ") }, "a labelled run id line: \(printed)")
        let runID = String(label.dropFirst("run id: ".count))
        #expect(Int64(runID) != nil)
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = [
            "python3", TestDaemon.packageRoot + "/Spec/scenario/check_user_sync.py", "--socket", daemon.socketPath,
            "--run", runID,
        ]
        let checkOut = Pipe()
        check.standardOutput = checkOut
        check.standardError = checkOut
        try check.run()
        let report = String(decoding: checkOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "\(report)")
    }

    @Test func successFailureAndCancellation() async throws {
        let daemon = try TestDaemon()
        let c = client(daemon)
        defer { c.close() }
        let noEnv: [String: String] = [:]
        let value = try await runJob(JobOptions(jobName: "ok", params: ["n": 1]), client: c, environment: noEnv) {
            ctx in
            await ctx.logger.setTotal(3)
            for _ in 0..<3 { await ctx.logger.incrementProgress() }
            return ctx.jobRunId
        }
        let ok = try await c.getRun(value)
        #expect(ok.status == .success)
        #expect(ok.progressCurrent == 3)
        #expect(ok.logCounts.milestone == 1, "the summary is written once")

        var failedID: Int64 = 0
        await #expect(throws: Boom.self) {
            try await runJob(JobOptions(jobName: "bad"), client: c, environment: noEnv) { ctx in
                failedID = ctx.jobRunId
                throw Boom()
            }
        }
        let bad = try await c.getRun(failedID)
        #expect(bad.status == .failed)
        #expect(bad.errorMessage == "boom at step 3")

        let cancelledID = Mutex_<Int64>(0)
        let task = Task {
            try await runJob(JobOptions(jobName: "long"), client: c, environment: noEnv) { ctx in
                cancelledID.set(ctx.jobRunId)
                try await Task.sleep(for: .seconds(30))
            }
        }
        while cancelledID.get() == 0 { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        _ = await task.result
        let cancelled = try await c.getRun(cancelledID.get())
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.logCounts.milestone == 1)
    }

    @Test func attachesToJOBLOG_RUN_ID() async throws {
        let daemon = try TestDaemon()
        let c = client(daemon)
        defer { c.close() }
        let outer = try await c.startRun(StartRunParams(jobName: "wrapper"))
        _ = try await runJob(
            JobOptions(jobName: "inner"), client: c, environment: ["JOBLOG_RUN_ID": String(outer.jobRunId)]
        ) { ctx in
            #expect(ctx.jobRunId == outer.jobRunId)
            await ctx.logger.info("from inside")
        }
        let run = try await c.getRun(outer.jobRunId)
        #expect(run.status == .running, "the wrapper finishes it, not the inner job")
        #expect(run.logCounts.info == 1)
        #expect(run.logCounts.milestone == 1)
    }

    @Test func noDaemonNeverFailsTheJob() async throws {
        var config = ClientConfiguration(socketPath: "/tmp/joblogd-test-nothing-\(getpid()).sock")
        config.connectTimeout = .milliseconds(200)
        config.warnings = false
        let c = JobLogClient(configuration: config)
        defer { c.close(timeout: .milliseconds(10)) }
        let value = try await runJob(JobOptions(jobName: "offline"), client: c, environment: [:]) { ctx in
            await ctx.logger.incrementProgress()
            #expect(ctx.jobRunId == 0)
            return 42
        }
        #expect(value == 42)
        #expect(await c.flush(timeout: .milliseconds(100)) == false)
    }

    @Test func daemonRestartMidJobLosesNothingAcknowledged() async throws {
        let daemon = try TestDaemon()
        var config = ClientConfiguration(socketPath: daemon.socketPath)
        config.connectTimeout = .seconds(10)
        config.warnings = false
        let c = JobLogClient(configuration: config)
        defer { c.close() }
        let id = try await runJob(JobOptions(jobName: "survivor"), client: c, environment: [:]) { ctx in
            await ctx.logger.setTotal(3000)
            for _ in 0..<1000 { await ctx.logger.incrementProgress() }
            #expect(await ctx.logger.flush())
            daemon.kill9()
            // Reported while the daemon is down: kept and resent.
            for _ in 0..<1000 { await ctx.logger.incrementProgress() }
            await ctx.logger.warning("while down")
            try daemon.start()
            for _ in 0..<1000 { await ctx.logger.incrementProgress() }
            #expect(await ctx.logger.flush())
            return ctx.jobRunId
        }
        let run = try await c.getRun(id)
        #expect(run.status == .success)
        #expect(run.progressCurrent == 3000)
        #expect(run.logCounts.warning == 1)
    }

    @Test func manyTasksShareOneClient() async throws {
        let daemon = try TestDaemon()
        let c = client(daemon)
        defer { c.close() }
        let started = try await c.startRun(StartRunParams(jobName: "shared"))
        let logger = createJobLogger(started.jobRunId, "shared", client: c)
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for i in 0..<500 {
                        await logger.incrementProgress()
                        if i % 100 == 0 { await logger.info("task \(t) at \(i)") }
                        logger.addOutcome("items")
                    }
                }
            }
        }
        #expect(await logger.flush())
        let run = try await c.getRun(started.jobRunId)
        #expect(run.progressCurrent == 4000)
        #expect(run.outcome["items"] == 4000)
        #expect(run.logCounts.info == 40)
    }
}

/// A tiny lock-protected box for tests.
final class Mutex_<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func get() -> T { lock.withLock { value } }
    func set(_ v: T) { lock.withLock { value = v } }
}
