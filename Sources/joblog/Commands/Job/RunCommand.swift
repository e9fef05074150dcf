import ArgumentParser
import Foundation
import JobLogClient
import JobLogModel
import JobLogProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// `joblog run [--name NAME] CMD ARGS...`: runs a command as one job run.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command as a job run, and exit with its exit code.",
        discussion: """
            Everything from the first argument that is not an option of joblog run is the command \
            (`joblog run echo hi`; `--` before it is allowed). Starts a run (owned by joblog, which \
            stays alive while the command runs), runs the command with JOBLOG_RUN_ID, JOBLOG_SOCKET \
            and JOBLOG_QUIET_IF_ABSENT=1 exported (so it can report with the other job-side commands, \
            which then never fail it when the daemon goes away) and joblog's own directory on its \
            PATH (so `joblog` is found even when it was started by a path), forwards SIGINT and SIGTERM sent to joblog to it (Ctrl-C in a \
            terminal reaches the command directly and is not sent twice), then writes the \
            summary and finishes the run: SUCCESS on exit 0, FAILED ("exit code N", "killed by \
            signal N"), or CANCELLED when the command was killed by SIGINT/SIGTERM or exited after \
            joblog received one.

            `joblog cancel ID` (or cancelRun) on the run: the command gets SIGTERM at once (its \
            own trap runs), then SIGKILL if it still runs after the grace; the run ends CANCELLED \
            with the reason.

            --capture: each line the command writes to stdout becomes an info entry and each \
            stderr line a warning entry (blank lines are skipped), and the output is still passed \
            through. The command then writes to pipes, so programs that buffer their output when \
            it is not a terminal report in bursts (e.g. use python3 -u).

            When no daemon answers, the command runs anyway (one warning on stderr) with \
            JOBLOG_RUN_ID=0, which makes the job-side commands do nothing, and joblog exits with \
            its exit code.
            """)

    @Option(help: "The job's name, 1-200 bytes (default: the command's file name).")
    var name: String?

    @Flag(help: "Record each stdout line as an info entry and each stderr line as a warning entry.")
    var capture = false

    @OptionGroup var start: StartOptions
    @OptionGroup var connection: ConnectionOptions

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("The command to run and its arguments.", valueName: "command"))
    var arguments: [String] = []

    /// The command: the arguments, without a leading `--`.
    var command: [String] { arguments.first == "--" ? Array(arguments.dropFirst()) : arguments }

    /// The job name: `--name`, else the command's file name.
    var jobName: String {
        name ?? (command.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "")
    }

    func validate() throws {
        guard !command.isEmpty else {
            throw ValidationError("Give the command to run: joblog run [--name NAME] CMD ARGS...")
        }
        try StartOptions.validate(jobName: jobName)
    }

    func run() async throws {
        // joblog must outlive a reader of its output that went away (`| head`).
        signal(SIGPIPE, SIG_IGN)
        let session = connection.session()
        let runID = await startRun(session)
        var environment = ProcessInfo.processInfo.environment
        environment["JOBLOG_SOCKET"] = session.socketPath
        // 0 when unreported: the job-side commands then do nothing (the job must not fail because of it).
        environment["JOBLOG_RUN_ID"] = String(runID ?? 0)
        environment[QuietIfAbsent.environmentVariable] = "1"
        environment["PATH"] = Self.path(environment["PATH"], adding: Self.ownDirectory)

        SignalForwarder.install()
        let outcome = await execute(
            environment: environment, reporter: runID.map { CaptureReporter(session, $0) }, runID: runID,
            client: session.client)
        if let runID { await finish(runID, outcome, session) }
        session.close()
        throw ExitCode(outcome.exitCode)
    }

    /// The directory of the running `joblog` (symbolic links resolved), nil when unknown.
    static var ownDirectory: String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        let directory = (exe as NSString).deletingLastPathComponent
        return directory.isEmpty ? nil : directory
    }

    /// `path` with `directory` first, unless it is already one of its entries.
    static func path(_ path: String?, adding directory: String?) -> String {
        let current = path ?? "/usr/local/bin:/usr/bin:/bin"
        guard let directory, !current.split(separator: ":").contains(Substring(directory)) else { return current }
        return current.isEmpty ? directory : directory + ":" + current
    }

    /// Starts the run; nil (after one warning) when it cannot be reported.
    private func startRun(_ session: Session) async -> Int64? {
        let params = StartRunParams(
            jobName: jobName, trigger: start.trigger, scope: start.scope, algorithmVersion: start.algorithmVersion,
            params: start.paramsJSON, pid: Int64(getpid()), acceptsCancel: true)
        do {
            return try await session.client.startRun(params).jobRunId
        } catch {
            let report = ClientErrorReport(error: error, method: .startRun, socketPath: session.socketPath)
            Console.error("joblog: \(report.message); running \(command[0]) without reporting")
            return nil
        }
    }

    /// Runs the command to its end.
    private func execute(
        environment: [String: String], reporter: CaptureReporter?, runID: Int64?, client: JobLogClient
    ) async -> RunOutcome {
        var output: OutputCapture?
        if capture {
            do {
                output = try OutputCapture { stream, line in reporter?.record(line, from: stream) }
            } catch {
                Console.error("joblog: cannot capture the output (\(error)); running without --capture")
            }
        }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                command, environment: environment, stdout: output?.childStdout, stderr: output?.childStderr)
        } catch {
            output?.abandon()
            let outcome = RunOutcome(spawnFailure: error, command: command[0])
            Console.error("joblog: \(outcome.error ?? "cannot run \(command[0])")")
            return outcome
        }
        SignalForwarder.forward(to: child.pid)
        let cancel = CancelSignal()
        if let runID {
            client.deliverCancels(of: runID, to: cancel)
            CancelForwarder.forward(cancel, to: child.pid)
        }
        output?.start()
        let termination = await child.wait()
        CancelForwarder.childExited()
        await output?.finish()
        let outcome = RunOutcome(termination, signalReceived: SignalForwarder.received)
        return cancel.reason.map { outcome.cancelled(reason: $0) } ?? outcome
    }

    /// Writes the summary, then finishes the run; a failure is a warning (the exit code stays the command's).
    private func finish(_ runID: Int64, _ outcome: RunOutcome, _ session: Session) async {
        let client = session.client
        var method = Method.logSummary
        do {
            _ = try await client.call(.logSummary, RunParams(jobRunId: runID), as: OutcomeResult.self)
            method = .finishRun
            _ = try await client.finishRun(
                FinishRunParams(jobRunId: runID, status: outcome.status, errorMessage: outcome.error))
        } catch {
            let report = ClientErrorReport(error: error, method: method, socketPath: session.socketPath)
            Console.error("joblog: could not record the end of run \(runID): \(report.message)")
        }
    }
}
