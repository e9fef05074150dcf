import Foundation
import JobLogClient
import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogTestSupport
import Testing

/// Issue 15: `runJob` cancels the job's task when the run is cancelled.
@Suite struct CancelJobTests {
    func client(_ daemon: TestDaemon) -> JobLogClient {
        var config = ClientConfiguration(socketPath: daemon.socketPath)
        config.connectTimeout = .seconds(2)
        return JobLogClient(configuration: config)
    }

    @Test func aLoopOfAThousandItemsStopsWithinAnItemOfTheRequest() async throws {
        let daemon = try TestDaemon()
        let c = client(daemon)
        let admin = client(daemon)
        defer {
            c.close()
            admin.close()
        }
        let runID = Mutex_<Int64>(0)
        let processed = Mutex_<Int64>(0)
        let task = Task {
            try await runJob(JobOptions(jobName: "loop"), client: c, environment: [:]) { ctx in
                runID.set(ctx.jobRunId)
                await ctx.logger.setTotal(1000, "items")
                for i in 0..<1000 {
                    try Task.checkCancellation()
                    try await Task.sleep(for: .milliseconds(5))
                    ctx.logger.addOutcome("processed")
                    await ctx.logger.incrementProgress()
                    processed.set(Int64(i + 1))
                }
            }
        }
        while processed.get() < 100 { try await Task.sleep(for: .milliseconds(5)) }
        let asked = try await admin.cancelRun(
            CancelRunParams(jobRunId: runID.get(), reason: "test stop", graceMs: 60_000))
        let atRequest = processed.get()
        #expect(asked.cancelRequestedAt != nil)
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        let done = processed.get()
        #expect(done < 1000)
        #expect(done - atRequest <= 2, "stopped \(done - atRequest) items after the answer to cancelRun")
        let run = try await admin.getRun(runID.get())
        #expect(run.status == .cancelled)
        #expect(run.errorMessage == "Cancelled: test stop")
        #expect(run.progressCurrent == done, "progress exact up to where it stopped")
        #expect(run.outcome["processed"] == done)
        #expect(run.logCounts.milestone == 1, "the summary is written")
        let logs = try await admin.getLogs(GetLogsParams(jobRunId: runID.get(), limit: 100))
        #expect(logs.contains { $0.context.parsed()?.objectValue?["stopMs"] != nil }, "context.stopMs recorded")
    }

    @Test func jobsThatPollSeeTheFlagAndTheStream() async throws {
        let daemon = try TestDaemon()
        let c = client(daemon)
        let admin = client(daemon)
        defer {
            c.close()
            admin.close()
        }
        let runID = Mutex_<Int64>(0)
        let task = Task {
            try await runJob(JobOptions(jobName: "poller"), client: c, environment: [:]) { ctx -> String? in
                runID.set(ctx.jobRunId)
                // The stream ends with the request (or with the task's cancellation that follows it).
                for await _ in ctx.cancelRequests { break }
                #expect(ctx.isCancelRequested)
                return ctx.cancellation.reason
            }
        }
        while runID.get() == 0 { try await Task.sleep(for: .milliseconds(5)) }
        _ = try await admin.cancelRun(CancelRunParams(jobRunId: runID.get(), reason: "poll"))
        let reason = try await task.value
        #expect(reason == "poll")
        let run = try await admin.getRun(runID.get())
        #expect(run.status == .cancelled, "the job returned after the request: CANCELLED all the same")
    }
}
