import ArgumentParser
import JobLogModel

/// `--status` of `joblog list`: any run status, case-insensitive.
struct StatusFilter: ExpressibleByArgument {
    let status: RunStatus

    init?(argument: String) {
        guard let s = RunStatus(rawValue: argument.uppercased()) else { return nil }
        status = s
    }

    static var allValueStrings: [String] { RunStatus.allCases.map(\.rawValue) }
}

/// `--level` of `joblog logs`: the minimum severity, case-insensitive, with journalctl's
/// names as aliases (`warn`; `err`, `crit`, `alert`, `emerg` for error; `notice` for milestone).
struct LevelFilter: ExpressibleByArgument {
    let level: LogLevel

    static let aliases: [String: LogLevel] = [
        "warn": .warning, "err": .error, "crit": .error, "critical": .error, "alert": .error, "emerg": .error,
        "fatal": .error, "notice": .milestone,
    ]

    init?(argument: String) {
        let name = argument.lowercased()
        guard let l = LogLevel(name: name) ?? Self.aliases[name] else { return nil }
        level = l
    }

    static var allValueStrings: [String] { LogLevel.allCases.map(\.name) + ["warn", "err", "crit"] }
}
