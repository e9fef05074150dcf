import ArgumentParser
import JobLogModel

/// `joblog debug MESSAGE [--ctx key=value ...]`: a debug entry.
struct DebugCommand: LogLevelCommand {
    static let level = LogLevel.debug
    static let configuration: CommandConfiguration = levelConfiguration(level)

    @OptionGroup var entry: LogEntryArguments
    @OptionGroup var target: RunIDOption
    @OptionGroup var connection: ConnectionOptions
}
