import ArgumentParser
import JobLogModel
import JobLogProtocol

/// `joblog finish`: ends the run.
struct FinishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finish",
        abstract: "Finish the run.",
        discussion: """
            The status is SUCCESS, or FAILED when --error is given. `joblog run` finishes its run \
            itself; use this after `joblog start`.
            """)

    @Option(help: "SUCCESS, FAILED or CANCELLED (default: SUCCESS, or FAILED with --error).")
    var status: FinishStatus?

    @Option(help: "The error message (also written as an error entry).")
    var error: String?

    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let final = status?.runStatus ?? (error == nil ? .success : .failed)
        guard let runID = try target.runID else { return }
        try await connection.request(
            quietIfAbsent: target.quietIfAbsent,
            .finishRun, FinishRunParams(jobRunId: runID, status: final, errorMessage: error))
    }
}

/// The statuses `joblog finish` accepts (case-insensitive).
struct FinishStatus: ExpressibleByArgument {
    let runStatus: RunStatus

    init?(argument: String) {
        guard let s = RunStatus(rawValue: argument.uppercased()), RunStatus.finishable.contains(s) else {
            return nil
        }
        runStatus = s
    }

    static var allValueStrings: [String] { RunStatus.finishable.map(\.rawValue) }
}
