import ArgumentParser
import JobLogJSON
import JobLogProtocol

/// `joblog cancel ID [--reason TEXT] [--grace 30s]`: asks a running run to stop.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Ask a running run to stop; SIGTERM after the grace, then SIGKILL after another.",
        discussion: """
            The job is told at once (clients that accept it stop at their next item); a job still \
            running after the grace gets SIGTERM, then SIGKILL after another grace. Allowed to the \
            run's own user, root, the daemon's user and --admin-group.
            """)

    @Argument(help: "The run id.")
    var id: Int64

    @Option(help: "Why (stored in the run's log, at most 1 KiB).")
    var reason: String = ""

    @Option(
        help: ArgumentHelp(
            "How long the job has to stop before each signal: 30s, 500ms, 2m, 0 (at most 1d).", valueName: "duration"))
    var grace: GraceDuration = GraceDuration(milliseconds: CancelRunParams.defaultGraceMs)

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard id > 0 else { throw ValidationError("The run id must be positive.") }
        guard reason.utf8.count <= 1024 else { throw ValidationError("--reason is at most 1024 bytes.") }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let params = CancelRunParams(jobRunId: id, reason: reason, graceMs: grace.milliseconds)
        let value = try await session.call(.cancelRun, params)
        if output.json {
            Console.line(JSONWriter.string(value))
            return
        }
        let run = try session.decode(RunResult.self, from: value, method: .cancelRun).run
        Console.line("cancel requested for run \(run.id) (\(run.jobName)); grace \(grace.milliseconds) ms")
    }
}

/// A duration option: `30s`, `500ms`, `2m`, `1h`, `1d`, or a number of seconds.
struct GraceDuration: ExpressibleByArgument, Sendable {
    var milliseconds: Int64

    init(milliseconds: Int64) { self.milliseconds = milliseconds }

    init?(argument: String) {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var number = Substring(argument)
        var scale: Int64 = 1000
        for (suffix, factor) in units where argument.hasSuffix(suffix) {
            number = argument.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let n = Int64(number), n >= 0 else { return nil }
        let (ms, overflow) = n.multipliedReportingOverflow(by: scale)
        guard !overflow, ms <= CancelRunParams.maxGraceMs else { return nil }
        milliseconds = ms
    }

    var defaultValueDescription: String { "30s" }
}
