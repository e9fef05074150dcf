import ArgumentParser
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog logs ID` / `joblog logs --job NAME` / `joblog logs --all-runs`: log entries,
/// optionally followed.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print log entries of a run, of a job's runs, or of every run: time level [stage] message {context}.",
        discussion: """
            Prints the newest --limit entries, oldest first, and says on stderr how many earlier \
            entries are not shown. --all prints every entry; --after ID the entries after that one \
            (keyset paging). Times are local (with the date when not today). Levels are colored when \
            stdout is a terminal; --level takes journalctl's names too (warn, err, crit). A traceback \
            in the context (stack, exc, exc_info, traceback, error.stack) is printed as indented lines. \
            Control characters in job data are shown as \\x1b, \\n, ... unless --raw.

            Across runs: --job NAME (every run of a job) or --all-runs, e.g. \
            `joblog logs --all-runs --level err --since 1h`; each line then names its run (job#id). \
            --since and --until take 30m, 1h, 2d (before now), an ISO-8601 UTC time, or a local \
            `2026-01-08 10:30`, `today`, `yesterday`. --grep TEXT keeps entries whose message or \
            context contains TEXT (case-sensitive).

            --follow then keeps printing new entries (it asks every 200 ms). For one run it ends \
            when the run is no longer RUNNING, with the run's final status line; across runs it \
            runs until Ctrl-C. With --json each entry is printed as one JSON line; without \
            --follow or --all the daemon's result is printed unchanged.
            """)

    /// How often `--follow` asks for new entries.
    static let pollInterval: Duration = .milliseconds(200)
    /// Entries per page while following or with `--all`.
    static let pageSize: Int64 = 1000

    @Argument(help: "The run id (or use --job / --all-runs).")
    var id: Int64?

    @Option(help: "Entries of every run of this job.")
    var job: String?

    @Flag(name: .customLong("all-runs"), help: "Entries of every run.")
    var allRuns = false

    @Option(help: "The minimum level: debug, info, milestone (notice), warning (warn) or error (err, crit).")
    var level: LevelFilter?

    @Option(help: "At most this many entries (the newest; 1-10000).")
    var limit: Int64 = 100

    @Flag(help: "Every entry, oldest first (not only the newest --limit).")
    var all = false

    @Option(help: ArgumentHelp("The entries after this entry id (at most --limit).", valueName: "id"))
    var after: Int64?

    @Option(help: ArgumentHelp("Entries from this time: 1h, 30m, 2d, 2026-01-08 10:30, today.", valueName: "time"))
    var since: TimeArgument?

    @Option(help: ArgumentHelp("Entries before this time (as --since).", valueName: "time"))
    var until: TimeArgument?

    @Option(help: ArgumentHelp("Entries whose message or context contains this text.", valueName: "text"))
    var grep: String?

    @Flag(name: [.short, .long], help: "Keep printing new entries (until the run ends, for one run).")
    var follow = false

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        let targets = (id != nil ? 1 : 0) + (job != nil ? 1 : 0) + (allRuns ? 1 : 0)
        guard targets == 1 else {
            throw ValidationError("Give one of: a run id, --job NAME, --all-runs.")
        }
        if let id, id <= 0 { throw ValidationError("The run id must be positive.") }
        if let after, after < 0 { throw ValidationError("--after must be an entry id (0 or more).") }
        if all, after != nil { throw ValidationError("Give --all or --after, not both.") }
        if let job, job.isEmpty || job.utf8.count > 200 { throw ValidationError("--job must be 1 to 200 bytes.") }
        if let grep, grep.isEmpty || grep.utf8.count > SearchLogsParams.maxTextBytes {
            throw ValidationError("--grep must be 1 to \(SearchLogsParams.maxTextBytes) bytes.")
        }
        guard (1...GetLogsParams.maxLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(GetLogsParams.maxLimit).")
        }
    }

    /// True when the daemon's `searchLogs` answers (across runs, or filters `getLogs` lacks).
    private var searches: Bool { id == nil || since != nil || until != nil || grep != nil }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let printer = LogPrinter(json: output.json, style: output.style, crossRun: id == nil)
        let paging = all || after != nil
        let first = try await page(session, afterId: all ? 0 : after, limit: all ? Self.pageSize : limit)
        if output.json, !follow, !all {
            Console.line(JSONWriter.string(first))
            return
        }
        var printed = try printer.write(first, session, method: method)
        var lastID = printed.lastID ?? (all ? 0 : after ?? 0)
        if all {
            while printed.count == Self.pageSize {
                printed = try printer.write(
                    try await page(session, afterId: lastID, limit: Self.pageSize), session, method: method)
                lastID = printed.lastID ?? lastID
            }
        } else if !output.json {
            try await hint(session, shown: printed.count, paging: paging, lastID: lastID)
        }
        guard follow else { return }
        if printed.lastID == nil, !paging {
            // Nothing yet: follow from the newest entry there is (none: from the start).
            lastID = 0
        }
        while true {
            try await Task.sleep(for: Self.pollInterval)
            // The status first: entries written before the run ended are then all in the pages below.
            var status: RunStatus?
            if let id {
                status = try await session.call(.getProgress, RunParams(jobRunId: id), as: ProgressResult.self).run
                    .status
            }
            while true {
                let result = try await page(session, afterId: lastID, limit: Self.pageSize)
                let printed = try printer.write(result, session, method: method)
                if let last = printed.lastID { lastID = last }
                if printed.count < Self.pageSize { break }
            }
            if let id, let status, status != .running {
                if !output.json {
                    let run = try await session.call(.getRun, RunParams(jobRunId: id), as: RunResult.self).run
                    Console.line(ProgressLine.final(run, now: .now(), style: output.style))
                }
                return
            }
        }
    }

    private var method: Method { searches ? .searchLogs : .getLogs }

    /// One page: the newest `limit` entries, or the first `limit` after `afterId`.
    private func page(_ session: Session, afterId: Int64?, limit: Int64) async throws(ExitCode) -> JSONValue {
        if searches {
            let params = SearchLogsParams(
                jobRunId: id, jobName: job, level: level?.level, since: since?.timestamp, until: until?.timestamp,
                text: grep, afterId: afterId, limit: limit)
            return try await session.call(.searchLogs, params)
        }
        return try await session.call(
            .getLogs, GetLogsParams(jobRunId: id ?? 0, level: level?.level, limit: limit, afterId: afterId))
    }

    /// Says on stderr what is not shown and how to see it.
    private func hint(_ session: Session, shown: Int64, paging: Bool, lastID: Int64) async throws(ExitCode) {
        if paging {
            if shown == limit { Console.error("joblog: more entries may follow: --after \(lastID) shows them") }
            return
        }
        if !searches, let id {
            let run = try await session.call(.getRun, RunParams(jobRunId: id), as: RunResult.self).run
            let minimum = level?.level ?? .debug
            let total = LogLevel.allCases.filter { $0 >= minimum }.reduce(Int64(0)) { $0 + RunTable.count(run, $1) }
            let hidden = total - shown
            if hidden > 0 {
                Console.error(
                    "joblog: \(hidden) earlier \(hidden == 1 ? "entry is" : "entries are") not shown "
                        + "(--all shows every entry, --limit N the newest N)")
            }
        } else if shown == limit {
            Console.error("joblog: earlier entries may not be shown (--all shows every entry, --limit N the newest N)")
        }
    }
}

/// Prints `getLogs`/`searchLogs` results as lines (or JSON lines) and tracks the last id.
private struct LogPrinter {
    let json: Bool
    let style: Style
    /// Entries of several runs: each line names its run.
    let crossRun: Bool

    /// Prints the entries of a result; returns how many and the last one's id.
    func write(_ result: JSONValue, _ session: Session, method: Method) throws(ExitCode) -> (
        count: Int64, lastID: Int64?
    ) {
        let raw = result.objectValue?["logs"]?.arrayValue ?? []
        let entries: [(LogRecord, (id: Int64, jobName: String)?)]
        if method == .searchLogs {
            entries = try session.decode(SearchLogsResult.self, from: result, method: method).logs.map {
                ($0.entry, crossRun ? ($0.jobRunId, $0.jobName) : nil)
            }
        } else {
            entries = try session.decode(LogsResult.self, from: result, method: method).logs.map { ($0, nil) }
        }
        guard !entries.isEmpty else { return (0, nil) }
        let now = Timestamp.now()
        var out = ""
        for (i, (entry, run)) in entries.enumerated() {
            if json, i < raw.count {
                out += JSONWriter.string(raw[i]) + "\n"
            } else {
                out += LogLine(entry: entry, now: now, run: run).render(style: style) + "\n"
            }
        }
        Console.out(out)
        return (Int64(entries.count), entries.last?.0.id)
    }
}
