import ArgumentParser
import JobLogProtocol

/// `joblog summary`: saves the outcome and writes the summary entry.
struct SummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Save the outcome counters and write the 'Summary' milestone entry.",
        discussion: "`joblog run` writes the summary itself when its command ends.")

    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        guard let runID = try target.runID else { return }
        try await connection.request(quietIfAbsent: target.quietIfAbsent, .logSummary, RunParams(jobRunId: runID))
    }
}
