import ArgumentParser
import JobLogProtocol

/// `joblog total N [UNIT]`: how many units the run will process.
struct TotalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "total",
        abstract: "Set how many units the run will process.")

    @Argument(help: "The total (>= 0).")
    var total: Int64

    @Argument(help: "The unit, e.g. files or users (optional).")
    var unit: String?

    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard total >= 0 else { throw ValidationError("The total must be at least 0.") }
    }

    func run() async throws {
        guard let runID = try target.runID else { return }
        try await connection.request(
            quietIfAbsent: target.quietIfAbsent, .setTotal, SetTotalParams(jobRunId: runID, total: total, unit: unit))
    }
}
