import ArgumentParser
import JobLogModel

/// `joblog milestone MESSAGE [--ctx key=value ...]`: a milestone entry.
struct MilestoneCommand: LogLevelCommand {
    static let level = LogLevel.milestone
    static let configuration: CommandConfiguration = levelConfiguration(level)

    @OptionGroup var entry: LogEntryArguments
    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions
}
