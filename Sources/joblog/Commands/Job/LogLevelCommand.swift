import ArgumentParser
import JobLogModel
import JobLogProtocol

/// The message and context of `joblog debug|info|milestone|warning|error`.
struct LogEntryArguments: ParsableArguments {
    @Argument(help: "The message (at most 64 KiB).")
    var message: String

    @Option(
        name: .customLong("ctx"),
        help: ArgumentHelp(
            "A context member, key=value (repeatable). Values that parse as integers are JSON numbers, "
                + "true/false are booleans, anything else is a string.",
            valueName: "key=value"))
    var context: [KeyValue] = []
}

/// A command that writes one log entry at a fixed level; each level is its own subcommand.
protocol LogLevelCommand: AsyncParsableCommand {
    static var level: LogLevel { get }
    var entry: LogEntryArguments { get }
    var target: RunIDOption { get }
    var connection: ConnectionOptions { get }
}

extension LogLevelCommand {
    /// The configuration of the command named after `level`.
    static func levelConfiguration(_ level: LogLevel) -> CommandConfiguration {
        CommandConfiguration(
            commandName: level.name,
            abstract: "Write a log entry at level \(level.name), tagged with the run's current stage.",
            discussion: "Example: joblog \(level.name) 'Processed batch' --ctx batch=3 --ctx dryRun=false")
    }

    func run() async throws {
        let context = entry.context.isEmpty ? nil : KeyValue.object(entry.context)
        guard let runID = try target.runID else { return }
        let params = LogParams(jobRunId: runID, level: Self.level, message: entry.message, context: context)
        try await connection.request(quietIfAbsent: target.quietIfAbsent, params.method, params)
    }
}
