import ArgumentParser
import JobLogModel

/// `joblog info MESSAGE [--ctx key=value ...]`: a info entry.
struct InfoCommand: LogLevelCommand {
    static let level = LogLevel.info
    static let configuration: CommandConfiguration = levelConfiguration(level)

    @OptionGroup var entry: LogEntryArguments
    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions
}
