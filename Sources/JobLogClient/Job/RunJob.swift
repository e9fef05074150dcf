import Foundation
import JobLogJSON
import JobLogModel
import JobLogProtocol

extension JobLogClient {
    /// The process-wide client, from `JOBLOG_SOCKET` (created on first use).
    public static let shared = JobLogClient(configuration: .fromEnvironment)
}

/// Runs `body` as a job run (the seed's `runJob`).
///
/// Starts a run (or, when `JOBLOG_RUN_ID` is set by `joblog run`, reports into
/// that run and leaves finishing it to the wrapper), gives the body its
/// `JobContext`, always writes the summary, and finishes the run: SUCCESS when
/// the body returns, CANCELLED when the task was cancelled, FAILED with the
/// error's description when it throws (the error is rethrown). A job never fails
/// because reporting failed: without a daemon it runs with a logger that reports
/// nothing, after one warning on stderr.
///
/// When someone cancels the run (`cancelRun`, `joblog cancel`), the daemon tells this client
/// and `runJob` cancels the job's task (Swift structured cancellation: `Task.isCancelled`,
/// `Task.checkCancellation()`, cancelled sleeps); `JobContext.isCancelRequested` and
/// `cancelRequests` say so too. The run ends CANCELLED with the reason, after its summary.
public func runJob<T: Sendable>(
    _ options: JobOptions, client: JobLogClient = .shared,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    _ body: (JobContext) async throws -> T
) async throws -> T {
    var owned = true
    let logger: JobLogger
    if let text = environment["JOBLOG_RUN_ID"], let id = Int64(text), id > 0 {
        owned = false
        logger = JobLogger(jobRunId: id, jobName: options.jobName, client: client)
    } else {
        let params = StartRunParams(
            jobName: options.jobName, trigger: options.trigger, scope: options.scope,
            algorithmVersion: options.algorithmVersion,
            params: options.params.rawJSON ?? .emptyObject, pid: Int64(getpid()), acceptsCancel: true)
        do {
            let started = try await client.startRun(params)
            logger = JobLogger(jobRunId: started.jobRunId, jobName: options.jobName, client: client)
        } catch {
            FileHandle.standardError.write(
                Data("joblog: \(error); running \(options.jobName) without reporting\n".utf8))
            logger = .disabled(jobName: options.jobName)
        }
    }
    let signal = CancelSignal()
    let context = JobContext(jobRunId: logger.jobRunId, jobName: options.jobName, logger: logger, cancellation: signal)
    let canceller = TaskCanceller()
    if owned, logger.jobRunId > 0 { client.deliverCancels(of: logger.jobRunId, to: signal) }
    defer { client.stopCancelDelivery(logger.jobRunId) }
    return try await canceller.whileArmed(signal) {
        let cancelled = { signal.reason.map { $0.isEmpty ? "Cancelled" : "Cancelled: \($0)" } ?? "cancelled" }
        do {
            let result = try await body(context)
            // A body that returns after the request (it polled) ends CANCELLED too.
            let status: RunStatus = Task.isCancelled || signal.isRequested ? .cancelled : .success
            await finish(
                logger, owned: owned, status: status, error: status == .cancelled ? cancelled() : nil, client: client)
            return result
        } catch is CancellationError {
            await finish(logger, owned: owned, status: .cancelled, error: cancelled(), client: client)
            throw CancellationError()
        } catch {
            let status: RunStatus = Task.isCancelled ? .cancelled : .failed
            let message = status == .cancelled ? cancelled() : String(describing: error)
            await finish(logger, owned: owned, status: status, error: message, client: client)
            throw error
        }
    }
}

private func finish(_ logger: JobLogger, owned: Bool, status: RunStatus, error: String?, client: JobLogClient) async {
    guard logger.jobRunId > 0 else { return }
    if !logger.summaryWritten.isSet { await logger.logSummary() }
    guard owned else {
        await logger.flush()
        return
    }
    _ = try? await client.finishRun(FinishRunParams(jobRunId: logger.jobRunId, status: status, errorMessage: error))
}
