import ArgumentParser
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog list`: the latest runs as a table.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List runs, newest first.",
        discussion: """
            Columns: id, job, status, current stage, progress (current/total and percent), the \
            number of warning and error entries, start time (local; the time of day for today's \
            runs), duration (so far, for RUNNING runs) and the failure reason (the run's error \
            message, cut to the terminal's width). Control characters in job data are shown as \
            \\x1b, \\n, ... unless --raw.
            """)

    @Option(help: "Only runs of this job.")
    var job: String?

    @Option(help: "Only runs with this status.")
    var status: StatusFilter?

    @Option(help: "Only runs started by this daemon (its --node-name; default the host name).")
    var node: String?

    @Option(help: "At most this many runs (1-1000).")
    var limit: Int64 = 50

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard (1...ListRunsParams.maxLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(ListRunsParams.maxLimit).")
        }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let params = ListRunsParams(jobName: job, status: status?.status, node: node, limit: limit)
        let value = try await session.call(.listRuns, params)
        if output.json {
            Console.line(JSONWriter.string(value))
            return
        }
        let runs = try session.decode(ListRunsResult.self, from: value, method: .listRuns).runs
        guard !runs.isEmpty else {
            Console.line("no runs")
            return
        }
        let lines = RunTable(runs: runs, now: .now()).render(style: output.style)
        Console.out(lines.joined(separator: "\n") + "\n")
    }
}
