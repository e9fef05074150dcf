import ArgumentParser
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog compare ID [BASELINE]`: a run against another run or the usual run of its job.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a run with another run, or with the median of its job's last 20 SUCCESS runs.")

    @Argument(help: "The run id.")
    var id: Int64

    @Argument(help: "The run to compare with (default: the usual run of the job).")
    var baseline: Int64?

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard id > 0, (baseline ?? 1) > 0 else { throw ValidationError("Run ids must be positive.") }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let value = try await session.call(.compareRuns, CompareRunsParams(jobRunId: id, baselineRunId: baseline))
        if output.json {
            Console.line(JSONWriter.string(value))
            return
        }
        let comparison = try session.decode(ComparisonResult.self, from: value, method: .compareRuns).comparison
        Console.out(
            "run \(id) " + InsightsView.comparison(comparison, style: output.style).joined(separator: "\n") + "\n")
    }
}
