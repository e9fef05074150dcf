import ArgumentParser
import JobLogProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// `joblog start NAME`: opens a run and prints its id (for scripts that report without `joblog run`).
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a run and print its id.",
        discussion: """
            For a script that reports by itself: `export JOBLOG_RUN_ID=$(joblog start NAME --pid $$)`, \
            then the other job-side commands, then `joblog summary` and `joblog finish`. The daemon marks \
            the run ABANDONED when the --pid process exits without finishing it. With \
            --quiet-if-absent (or $JOBLOG_QUIET_IF_ABSENT=1) and no daemon it prints 0 and exits 0: \
            run id 0 makes the other job-side commands do nothing.
            """)

    @Argument(help: "The job's name (1-200 bytes).")
    var name: String

    @Option(
        help: ArgumentHelp(
            "The process that owns the run (default: joblog's parent process; pass $$ from a script).",
            valueName: "pid"))
    var pid: Int32?

    @OptionGroup var start: StartOptions
    @OptionGroup var quiet: QuietIfAbsent
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try StartOptions.validate(jobName: name)
        if let pid, pid <= 0 { throw ValidationError("--pid must be a positive process id.") }
    }

    func run() async throws {
        let params = StartRunParams(
            jobName: name, trigger: start.trigger, scope: start.scope, algorithmVersion: start.algorithmVersion,
            params: start.paramsJSON, pid: Int64(pid ?? getppid()))
        let session = connection.session(quietIfAbsent: quiet.enabled)
        defer { session.close() }
        do {
            let started = try await session.call(.startRun, params, as: StartRunResult.self)
            Console.line(String(started.jobRunId))
        } catch  where error == .success {
            // --quiet-if-absent without a daemon: run id 0 makes the other commands do nothing.
            Console.line("0")
        }
    }
}
