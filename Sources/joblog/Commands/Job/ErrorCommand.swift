import ArgumentParser
import JobLogModel

/// `joblog error MESSAGE [--ctx key=value ...]`: a error entry.
struct ErrorCommand: LogLevelCommand {
    static let level = LogLevel.error
    static let configuration: CommandConfiguration = levelConfiguration(level)

    @OptionGroup var entry: LogEntryArguments
    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions
}
