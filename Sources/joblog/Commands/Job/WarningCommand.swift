import ArgumentParser
import JobLogModel

/// `joblog warning MESSAGE [--ctx key=value ...]`: a warning entry.
struct WarningCommand: LogLevelCommand {
    static let level = LogLevel.warning
    static let configuration: CommandConfiguration = levelConfiguration(level)

    @OptionGroup var entry: LogEntryArguments
    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions
}
