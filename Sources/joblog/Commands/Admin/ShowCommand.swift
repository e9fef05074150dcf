import ArgumentParser
import JobLogJSON
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
        let lines = RunDetails(run: run, now: .now()).render(style: output.style)
        Console.out(lines.joined(separator: "\n") + "\n")
    }
}
