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

/// `--level` of `joblog logs`: the minimum severity, case-insensitive.
struct LevelFilter: ExpressibleByArgument {
    let level: LogLevel

    init?(argument: String) {
        guard let l = LogLevel(name: argument.lowercased()) else { return nil }
        level = l
    }

    static var allValueStrings: [String] { LogLevel.allCases.map(\.name) }
}
