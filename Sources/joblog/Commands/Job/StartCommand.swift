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
            the run ABANDONED when the --pid process exits without finishing it.
            """)

    @Argument(help: "The job's name (1-200 bytes).")
    var name: String

    @Option(
        help: ArgumentHelp(
            "The process that owns the run (default: joblog's parent process; pass $$ from a script).",
            valueName: "pid"))
    var pid: Int32?

    @OptionGroup var start: StartOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try StartOptions.validate(jobName: name)
        if let pid, pid <= 0 { throw ValidationError("--pid must be a positive process id.") }
    }

    func run() async throws {
        let params = StartRunParams(
            jobName: name, trigger: start.trigger, scope: start.scope, algorithmVersion: start.algorithmVersion,
            params: start.paramsJSON, pid: Int64(pid ?? getppid()))
        let session = connection.session()
        defer { session.close() }
        let started = try await session.call(.startRun, params, as: StartRunResult.self)
        Console.line(String(started.jobRunId))
    }
}
