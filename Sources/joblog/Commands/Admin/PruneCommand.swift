import ArgumentParser
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog prune --older-than 30d [--status S]`: deletes old finished runs and their logs.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete finished runs (and their logs) that ended more than a given time ago.",
        discussion: """
            --older-than takes days or weeks: 30d, 2w (a bare number is days). RUNNING runs are \
            never deleted. Prints how many runs and entries were deleted. `joblogd --retain-days N` \
            does the same every hour.
            """)

    @Option(
        name: .customLong("older-than"),
        help: ArgumentHelp("Runs that finished more than this long ago: 30d, 2w.", valueName: "age"))
    var olderThan: AgeArgument

    @Option(help: "Only runs with this status: SUCCESS, FAILED, CANCELLED or ABANDONED.")
    var status: StatusFilter?

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let status, !status.status.isFinished {
            throw ValidationError("--status must be a finished status (RUNNING runs are never pruned).")
        }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let params = PruneRunsParams(olderThanDays: olderThan.days, status: status?.status)
        let value = try await session.call(.pruneRuns, params)
        if output.json {
            Console.line(JSONWriter.string(value))
            return
        }
        let result = try session.decode(PruneRunsResult.self, from: value, method: .pruneRuns)
        Console.line(
            "deleted \(result.deletedRuns) \(result.deletedRuns == 1 ? "run" : "runs") and \(result.deletedLogs) "
                + "log \(result.deletedLogs == 1 ? "entry" : "entries")")
    }
}

/// `--older-than` of `joblog prune`: whole days (`30d`, `30`) or weeks (`2w`), 0 ... 100,000 days.
struct AgeArgument: ExpressibleByArgument {
    let days: Int64

    init?(argument: String) {
        var digits = Substring(argument)
        var factor: Int64 = 1
        if digits.last == "d" {
            digits = digits.dropLast()
        } else if digits.last == "w" {
            digits = digits.dropLast()
            factor = 7
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(digits),
            n <= 100_000 / factor
        else { return nil }
        days = n * factor
    }
}
