import ArgumentParser
import Foundation
import JobLogServer
import JobLogStore
import Logging

/// `joblog-bench`: measures joblogd against baselines taken in the same run, and prints one table.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "joblog-bench",
        abstract:
            "Measure joblogd against baselines measured in the same run (raw SQLite, raw socket ping-pong, direct writes).",
        subcommands: [RunBench.self, Serve.self, EchoServer.self],
        defaultSubcommand: RunBench.self)
}

/// The baselines every ratio is taken against.
struct Baselines {
    var sqliteBatched: Double
    var directWrite: Double
    var pingPongP50: Double
    var pingPongP99: Double
    /// 8 threads, each committing its rows one by one into one WAL file (rows/s).
    var directWrite8: Double
    /// One thread, 8 rows into 8 runs per commit (rows/s).
    var groupCommit8: Double
    /// The echo server's socket, for scenarios that interleave their rounds with the baseline's.
    var echoPath: String
}

struct RunBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run every scenario (the default).")

    @Flag(help: "A few seconds of each scenario, to check the harness works (CI); figures are not meaningful.")
    var quick = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(
        help:
            "The joblogd binary to measure (default: joblogd next to this binary, else this binary's own copy of the daemon)."
    )
    var joblogd: String?

    @Option(
        help:
            """
            Run only these scenarios (comma-separated: instructions, footprint, ingest, storm, acks, watchers, \
            clients, admin, insights, http, viewers).
            """
    )
    var only: String?

    @Flag(help: "Only count the daemon's instructions per event under callgrind (same as --only instructions).")
    var instructions = false

    @Option(help: "Events per instruction count (default: 100,000; 2,000 with --quick).")
    var instructionCount: Int?

    @Option(
        help:
            "SQL run on the database of the counted daemon before counting, to count a schema variant (e.g. \"CREATE INDEX logs_by_run ON logs(run_id, id)\")."
    )
    var instructionSetupSql: String?

    @Option(
        help:
            """
            Measure the daemon on a PostgreSQL store instead (postgres://USER@HOST:PORT/DB; password from the URL \
            or PGPASSWORD): a scratch database is created next to DB and dropped at the end; ingest against a raw \
            multi-row INSERT baseline into the same server, the progress storm, and the transactions per second at \
            1,000 events/s.
            """
    )
    var store: String?

    @Option(help: "The repository root, for the Python, C and shell clients (default: the current directory).")
    var root: String = FileManager.default.currentDirectoryPath

    func run() async throws {
        let sizes = quick ? Sizes.quick : Sizes.full
        var report = Report()
        let sibling = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "joblogd"
        ).path
        let binary = joblogd ?? (FileManager.default.isExecutableFile(atPath: sibling) ? sibling : nil)
        report.facts.append(("mode", quick ? "quick (CI smoke run; figures not meaningful)" : "full"))
        report.facts.append(("machine", Self.machine()))
        report.facts.append(("date", ISO8601DateFormatter().string(from: Date())))

        if instructions {
            // Only the counts: no baselines, no other scenario.
            try countInstructions(binary: binary, into: &report)
            print(json ? report.json : report.table)
            return
        }
        if let store {
            try await PostgresScenario.run(binary: binary, url: store, sizes, quick: quick, into: &report)
            print(json ? report.json : report.table)
            let missed = report.figures.filter { $0.met == false }.map(\.name)
            if !missed.isEmpty { log("targets not met: \(missed.joined(separator: "; "))") }
            return
        }
        log("baselines")
        let scratch = NSTemporaryDirectory() + "joblog-bench-baselines-" + UUID().uuidString.prefix(6)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let (echo, echoPath) = try PingPongBaseline.start(directory: scratch)
        defer { echo.terminate() }
        let (pp50, pp99) = try PingPongBaseline.latency(path: echoPath, count: sizes.roundTrips)
        let batched = try SQLiteBaseline.insertRate(directory: scratch, rows: sizes.baselineRows, perTransaction: 1000)
        let direct = try SQLiteBaseline.insertRate(directory: scratch, rows: sizes.directRows, perTransaction: 1)
        let direct8 = try ConcurrentWriteBaseline.directWrites(
            directory: scratch, threads: 8, each: max(1, sizes.roundTrips / 2))
        let group8 = try ConcurrentWriteBaseline.groupCommit(
            directory: scratch, rowsPerCommit: 8, commits: max(1, sizes.roundTrips / 2))
        let baselines = Baselines(
            sqliteBatched: batched, directWrite: direct, pingPongP50: pp50, pingPongP99: pp99, directWrite8: direct8,
            groupCommit8: group8, echoPath: echoPath)
        report.add(
            Figure(name: "baseline: raw SQLite batched insert (1,000/transaction)", value: batched, unit: "rows/s"))
        report.add(Figure(name: "baseline: direct write, commit per row", value: direct, unit: "rows/s"))
        report.add(Figure(name: "baseline: raw socket ping-pong p50", value: pp50 * 1e6, unit: "µs"))
        report.add(
            Figure(
                name: "baseline: direct writes from 8 threads (BEGIN IMMEDIATE; INSERT; COMMIT each, one WAL file)",
                value: direct8, unit: "rows/s"))
        report.add(
            Figure(
                name: "baseline: group-commit bound (1 thread, 8 rows into 8 runs per commit)", value: group8,
                unit: "rows/s"))

        if wanted("instructions") { try countInstructions(binary: binary, into: &report) }

        let daemon = try DaemonUnderTest(binary: binary)
        report.facts.append(("daemon", daemon.description))
        log("footprint")
        if wanted("footprint") { try FootprintScenario.run(daemon, sizes, into: &report) }
        log("ingest")
        if wanted("ingest") { try IngestScenario.run(daemon, sizes, baselines: baselines, into: &report) }
        log("progress storm")
        if wanted("storm") { try StormScenario.run(daemon, sizes, into: &report) }
        log("acknowledged calls")
        if wanted("acks") { try AckScenario.run(daemon, sizes, baselines: baselines, into: &report) }
        log("watchers")
        if wanted("watchers") { try WatchScenario.run(daemon, sizes, into: &report) }
        log("clients")
        if wanted("clients") { try await ClientCostScenario.run(daemon, sizes, root: root, into: &report) }
        log("admin queries on a big store")
        if wanted("admin") { try AdminScenario.run(daemon, sizes, into: &report) }
        if wanted("insights") { try InsightsScenario.run(daemon, sizes, into: &report) }
        FootprintScenario.peak(daemon, into: &report)
        daemon.stop()
        log("http")
        if wanted("http") { try HTTPScenario.run(binary: binary, sizes, into: &report) }
        log("http viewers")
        if wanted("viewers") { try HTTPScenario.viewers(binary: binary, sizes, into: &report) }

        print(json ? report.json : report.table)
        let missed = report.figures.filter { $0.met == false }.map(\.name)
        if !missed.isEmpty { log("targets not met: \(missed.joined(separator: "; "))") }
    }

    func countInstructions(binary: String?, into report: inout Report) throws {
        log("instructions (callgrind)")
        try InstructionScenario.run(
            binary: binary, count: instructionCount ?? (quick ? 2000 : 100_000), setupSQL: instructionSetupSql,
            into: &report)
    }

    func wanted(_ scenario: String) -> Bool {
        guard let only else { return true }
        return only.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == scenario }
    }

    func log(_ s: String) { FileHandle.standardError.write(Data("joblog-bench: \(s)\n".utf8)) }

    static func machine() -> String {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let model =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
            ?? "?"
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores (\(model)), Linux \(release)"
    }
}

/// Runs the daemon in this process (the same `JobLogDaemon` code as `joblogd`).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the daemon (as joblogd) for the benchmark.", shouldDisplay: false)

    @Option var socket: String
    @Option var db: String
    @Option var logLevel: String = "warning"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let options = JobLogDaemon.Options(
            store: StoreConfiguration(path: db), server: ServerConfiguration(socketPath: socket, version: "bench"))
        do {
            try await JobLogDaemon.run(options, logger: Logger(label: "joblog-bench-daemon"))
        } catch {
            throw ExitCode(1)
        }
    }
}

/// The ping-pong baseline's server.
struct EchoServer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "echo-server", shouldDisplay: false)
    @Argument var path: String
    func run() throws { PingPongBaseline.serve(path: path) }
}
