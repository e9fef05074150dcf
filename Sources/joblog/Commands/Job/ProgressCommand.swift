import ArgumentParser
import JobLogProtocol

/// `joblog progress N`: sets the run's progress.
struct ProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Set the run's progress to N units.")

    @Argument(help: "The units done so far (>= 0).")
    var current: Int64

    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard current >= 0 else { throw ValidationError("The progress must be at least 0.") }
    }

    func run() async throws {
        guard let runID = try target.runID else { return }
        try await connection.request(
            quietIfAbsent: target.quietIfAbsent, .setProgress, SetProgressParams(jobRunId: runID, current: current))
    }
}
