import ArgumentParser
import JobLogProtocol

/// `joblog stage STAGE [MESSAGE]`: sets the run's current stage.
struct StageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Set the run's current stage (also logged at info, with MESSAGE or 'Stage: STAGE').")

    @Argument(help: "The stage (at most 200 bytes).")
    var stage: String

    @Argument(help: "The message of the stage's info entry (default: 'Stage: STAGE').")
    var message: String?

    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        guard let runID = try target.runID else { return }
        try await connection.request(
            quietIfAbsent: target.quietIfAbsent, .setStage,
            SetStageParams(jobRunId: runID, stage: stage, message: message))
    }
}
