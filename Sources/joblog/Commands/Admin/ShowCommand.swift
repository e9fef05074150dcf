import ArgumentParser
import JobLogClient
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog show ID`: one run's progress, outcome and metadata.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: status, progress, outcome counters, params.")

    @Argument(help: "The run id.")
    var id: Int64

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard id > 0 else { throw ValidationError("The run id must be positive.") }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let value = try await session.call(.getRun, RunParams(jobRunId: id))
        if output.json {
            Console.line(JSONWriter.string(value))
            return
        }
        let run = try session.decode(RunResult.self, from: value, method: .getRun).run
        let now = Timestamp.now()
        var lines = RunDetails(run: run, now: now).render(style: output.style)
        // A daemon older than the timeline answers method not found: the run is shown without it.
        let stages = try? StagesResult(
            json: await session.client.callRaw(Method.getStages.rawValue, RunParams(jobRunId: id).json)
        ).stages
        var comparison: RunComparison?
        if run.status.isFinished {
            comparison = try? ComparisonResult(
                json: await session.client.callRaw(Method.compareRuns.rawValue, CompareRunsParams(jobRunId: id).json)
            ).comparison
        }
        let usual = Dictionary(
            (comparison?.stages ?? []).compactMap { row in row.baseline.map { (row.name, $0) } },
            uniquingKeysWith: { a, _ in a })
        if let stages { lines += InsightsView.timeline(stages, now: now, usual: usual, style: output.style) }
        if let comparison, comparison.duration.baseline != nil {
            lines += InsightsView.comparison(comparison, style: output.style)
        }
        Console.out(lines.joined(separator: "\n") + "\n")
    }
}
