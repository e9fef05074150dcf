import ArgumentParser
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog logs ID`: a run's log entries, optionally followed until the run ends.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a run's log entries: time level [stage] message {context}.",
        discussion: """
            Prints the newest --limit entries, oldest first. Times are local (with the date \
            when not today). Levels are colored when stdout is a terminal.

            --follow then keeps printing new entries (it asks every 200 ms) until the run is no \
            longer RUNNING, prints the last ones and exits 0. With --json each entry is printed as \
            one JSON line; without --follow the daemon's result is printed unchanged.
            """)

    /// How often `--follow` asks for new entries.
    static let pollInterval: Duration = .milliseconds(200)
    /// Entries per page while following.
    static let pageSize: Int64 = 1000

    @Argument(help: "The run id.")
    var id: Int64

    @Option(help: "The minimum level: debug, info, milestone, warning or error.")
    var level: LevelFilter?

    @Option(help: "At most this many entries (the newest; 1-10000).")
    var limit: Int64 = 100

    @Flag(name: [.short, .long], help: "Keep printing new entries until the run ends.")
    var follow = false

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard id > 0 else { throw ValidationError("The run id must be positive.") }
        guard (1...GetLogsParams.maxLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(GetLogsParams.maxLimit).")
        }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let printer = LogPrinter(json: output.json, style: Style(enabled: Console.stdoutIsTerminal))
        let first = try await session.call(.getLogs, GetLogsParams(jobRunId: id, level: level?.level, limit: limit))
        if output.json, !follow {
            Console.line(JSONWriter.string(first))
            return
        }
        var lastID = try printer.write(first, session).lastID ?? 0
        guard follow else { return }
        while true {
            try await Task.sleep(for: Self.pollInterval)
            // The status first: entries written before the run ended are then all in the pages below.
            let status = try await session.call(.getProgress, RunParams(jobRunId: id), as: ProgressResult.self)
                .run.status
            while true {
                let params = GetLogsParams(jobRunId: id, level: level?.level, limit: Self.pageSize, afterId: lastID)
                let printed = try printer.write(try await session.call(.getLogs, params), session)
                if let last = printed.lastID { lastID = last }
                if printed.count < Self.pageSize { break }
            }
            if status != .running { return }
        }
    }
}

/// Prints `getLogs` results as lines (or JSON lines) and tracks the last id.
private struct LogPrinter {
    let json: Bool
    let style: Style

    /// Prints the entries of a `getLogs` result; returns how many and the last one's id.
    func write(_ result: JSONValue, _ session: Session) throws(ExitCode) -> (count: Int64, lastID: Int64?) {
        let raw = result.objectValue?["logs"]?.arrayValue ?? []
        let entries = try session.decode(LogsResult.self, from: result, method: .getLogs).logs
        guard !entries.isEmpty else { return (0, nil) }
        let now = Timestamp.now()
        var out = ""
        for (i, entry) in entries.enumerated() {
            if json, i < raw.count {
                out += JSONWriter.string(raw[i]) + "\n"
            } else {
                out += LogLine(entry: entry, now: now).render(style: style) + "\n"
            }
        }
        Console.out(out)
        return (Int64(entries.count), entries.last?.id)
    }
}
