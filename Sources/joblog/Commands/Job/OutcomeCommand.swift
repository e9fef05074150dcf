import ArgumentParser
import JobLogProtocol

/// `joblog outcome KEY [N]`: adds to an outcome counter.
struct OutcomeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outcome",
        abstract: "Add N (default 1) to the outcome counter KEY.",
        discussion: "A negative N goes after `--`: `joblog outcome retried -- -1`.")

    @Argument(help: "The counter (1-200 bytes), e.g. synced or errors.")
    var key: String

    @Argument(help: "How much to add (default 1; may be negative).")
    var count: Int64 = 1

    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        guard let runID = try target.runID else { return }
        try await connection.request(
            quietIfAbsent: target.quietIfAbsent, .addOutcome, AddOutcomeParams(jobRunId: runID, key: key, count: count))
    }
}
