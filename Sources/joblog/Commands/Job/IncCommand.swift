import ArgumentParser
import JobLogProtocol

/// `joblog inc [N]`: adds to the run's progress.
struct IncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inc",
        abstract: "Add N (default 1) to the run's progress.")

    @Argument(help: "How much to add (>= 0).")
    var by: Int64 = 1

    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard by >= 0 else { throw ValidationError("The increment must be at least 0.") }
    }

    func run() async throws {
        guard let runID = try target.runID else { return }
        try await connection.request(
            quietIfAbsent: target.quietIfAbsent, .incrementProgress, IncrementProgressParams(jobRunId: runID, by: by))
    }
}
