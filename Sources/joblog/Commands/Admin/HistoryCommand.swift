import ArgumentParser
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog history NAME`: a job's last runs, their durations as a sparkline, and its statistics.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show a job's last runs: status, duration, a sparkline of durations, statistics.")

    @Argument(help: "The job name.")
    var name: String

    @Option(help: "Statistics over this many finished runs (1-1000); the table shows at most 20.")
    var last: Int64 = 20

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard (1...JobStatsParams.maxLast).contains(last) else {
            throw ValidationError("--last must be between 1 and \(JobStatsParams.maxLast).")
        }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let value = try await session.call(.getJobStats, JobStatsParams(jobName: name, last: last))
        if output.json {
            Console.line(JSONWriter.string(value))
            return
        }
        let stats = try session.decode(JobStatsResult.self, from: value, method: .getJobStats).stats
        guard !stats.recent.isEmpty else {
            Console.line("no finished runs of \(name)")
            return
        }
        let now = Timestamp.now()
        let style = output.style
        var lines: [String] = []
        let rate = stats.successRate.map { "\(Int(($0 * 100).rounded()))%" } ?? "-"
        func d(_ v: Int64?) -> String { v.map { Format.duration(milliseconds: $0) } ?? "-" }
        lines.append(
            "\(style.data(stats.jobName)): \(stats.runs) finished runs, \(rate) SUCCESS; duration p50 \(d(stats.durationMs.p50)), "
                + "p95 \(d(stats.durationMs.p95)), max \(d(stats.durationMs.max))")
        let durations = stats.recent.reversed().compactMap(\.durationMs)
        lines.append("durations (oldest → newest): " + InsightsView.sparkline(durations))
        var table = Table(
            header: ["ID", "STATUS", "STARTED", "DURATION", "OUTCOME"], maxWidths: [nil, nil, nil, nil, 60])
        for r in stats.recent {
            table.rows.append([
                Table.Cell(String(r.id)), Table.Cell(r.status.rawValue, color: Style.code(for: r.status)),
                Table.Cell(Format.localTime(r.startedAt, .short, now: now)), Table.Cell(d(r.durationMs)),
                Table.Cell(r.outcome.entries.map { "\(style.data($0.key))=\($0.count)" }.joined(separator: " ")),
            ])
        }
        lines += table.render(style: style)
        if !stats.stageDurationsMs.isEmpty {
            lines.append("stages (p50 / p95):")
            for s in stats.stageDurationsMs { lines.append("  \(style.data(s.stage)): \(d(s.p50)) / \(d(s.p95))") }
        }
        Console.out(lines.joined(separator: "\n") + "\n")
    }
}
