import ArgumentParser
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog jobs`: one line per job name.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List job names: last run and status, last success, runs, running now.")

    @Option(help: "Only job names that start with this.")
    var prefix: String?

    @Option(help: "At most this many jobs (1-1000).")
    var limit: Int64 = 100

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard (1...ListJobsParams.maxLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(ListJobsParams.maxLimit).")
        }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        let value = try await session.call(.listJobs, ListJobsParams(jobName: prefix, limit: limit))
        if output.json {
            Console.line(JSONWriter.string(value))
            return
        }
        let jobs = try session.decode(ListJobsResult.self, from: value, method: .listJobs).jobs
        guard !jobs.isEmpty else {
            Console.line("no jobs")
            return
        }
        let now = Timestamp.now()
        let style = output.style
        var table = Table(
            header: ["JOB", "LAST RUN", "STATUS", "STARTED", "DURATION", "LAST SUCCESS", "RUNS", "RUNNING"],
            maxWidths: [40])
        for job in jobs {
            let last = job.lastRun
            table.rows.append([
                Table.Cell(style.data(job.jobName)),
                Table.Cell(last.map { "#\($0.id)" } ?? "-"),
                Table.Cell(last?.status.rawValue ?? "-", color: last.map { Style.code(for: $0.status) }),
                Table.Cell(last.map { Format.localTime($0.startedAt, .short, now: now) } ?? "-"),
                Table.Cell(last?.durationMs.map { Format.duration(milliseconds: $0) } ?? "-"),
                Table.Cell(job.lastSuccessAt.map { Format.localTime($0, .short, now: now) } ?? "never"),
                Table.Cell(String(job.runs)),
                Table.Cell(String(job.running)),
            ])
        }
        Console.out(table.render(style: style).joined(separator: "\n") + "\n")
    }
}
