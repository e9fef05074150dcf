import ArgumentParser
import Foundation
import JobLogPostgres
import JobLogServer
import Logging

/// `joblogd copy-store --from sqlite:PATH --to postgres://…`: moves a SQLite store into
/// PostgreSQL (see ``CopyStore``), with a progress bar, resumable, checked at the end.
struct CopyStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-store",
        abstract: "Move a SQLite store into a PostgreSQL database (ids kept; resumable; counts checked).",
        discussion: """
            Stop the daemon that serves the SQLite store first: the copy takes the store's lock \
            (<PATH>.lock) and refuses while a daemon holds it, and opens the store read-only. Start \
            no daemon on the target until the copy has finished. An interrupted copy (Ctrl-C, kill, \
            a lost connection) goes on where it stopped when the same command is run again. Exit \
            status: 0 copied and checked, 1 refused or failed (the reason on stderr).
            """)

    @Option(help: "The SQLite store to copy: sqlite:PATH.")
    var from: String

    @Option(help: "The PostgreSQL database: postgres://USER@HOST:PORT/DB[?sslmode=MODE&sslrootcert=PEM], as --store.")
    var to: String

    /// Not `--store-password-file`: the daemon's own option of that name is parsed by the root
    /// command wherever it appears, and refused there without `--store`.
    @Option(help: "The PostgreSQL password's file (one final newline is ignored); else PGPASSWORD.")
    var toPasswordFile: String?

    @Option(help: "Rows per batch; each batch is one transaction.")
    var batchRows: Int = 10_000

    @Option(help: ArgumentHelp("Stop with status 3 after N committed batches (tests).", visibility: .private))
    var stopAfterBatches: Int?

    /// The SQLite path of `--from`.
    var sourcePath: String { String(from.dropFirst("sqlite:".count)) }

    func validate() throws {
        guard from.hasPrefix("sqlite:"), from.count > "sqlite:".count else {
            throw ValidationError("--from must be sqlite:PATH (got \(from))")
        }
        do {
            _ = try PostgresStoreURL(parsing: to)
        } catch {
            throw ValidationError("\(error)".replacingOccurrences(of: "--store", with: "--to"))
        }
        try Joblogd.check("--batch-rows", batchRows, 1...1_000_000)
        if let stopAfterBatches { try Joblogd.check("--stop-after-batches", stopAfterBatches, 1...Int.max) }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        // Warnings only: the copy's own reasons go to stderr as plain lines. (Not `--log-level`:
        // the root command parses that option wherever it appears.)
        Joblogd.bootstrapLogging(level: .warning, environment: environment)
        let logger = Logger(label: "joblogd.copy-store")
        var url = try PostgresStoreURL(parsing: to)
        url.password = try password(environment: environment) ?? url.password

        guard FileManager.default.fileExists(atPath: sourcePath) else { Self.fail("no SQLite store at \(sourcePath)") }
        // The daemon's own lock: no daemon writes the store while it is copied, nor starts meanwhile.
        let lock: StoreLock?
        do {
            lock = try StoreLock.acquire(databasePath: sourcePath, socketPath: "(joblogd copy-store)")
        } catch {
            let text = "\(error)"
            let who = text.split(separator: ";").first.map(String.init) ?? text
            Self.fail("\(who); stop it before copying its store")
        }

        var options = CopyStore.Options()
        options.batchRows = batchRows
        options.stopAfterBatches = stopAfterBatches
        let copy = CopyStore(sourcePath: sourcePath, target: url, options: options, logger: logger)
        let bar = CopyStoreProgress()
        do {
            let summary = try await copy.run { bar.show($0) }
            withExtendedLifetime(lock) {}
            bar.finish()
            print(
                "copied \(summary.copied) rows from \(sourcePath) to \(url.redacted) "
                    + "(and \(summary.refreshed) rows of job names, sessions and pending prunes)")
            for count in summary.counts {
                print("  \(count.table): \(count.target) rows (source \(count.source))")
            }
        } catch CopyStoreError.stopped(let batches) {
            bar.finish()
            FileHandle.standardError.write(Data("joblogd copy-store: stopped after \(batches) batches\n".utf8))
            throw ExitCode(3)
        } catch {
            bar.finish()
            Self.fail("\(error)")
        }
    }

    /// The password from `--to-password-file` (one final newline dropped) or `PGPASSWORD`.
    func password(environment: [String: String]) throws -> String? {
        if let toPasswordFile {
            guard var text = try? String(contentsOfFile: toPasswordFile, encoding: .utf8) else {
                Self.fail("cannot read --to-password-file \(toPasswordFile)")
            }
            if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
        return environment["PGPASSWORD"]
    }

    /// The reason on stderr, exit status 1.
    static func fail(_ reason: String) -> Never {
        FileHandle.standardError.write(Data("joblogd copy-store: \(reason)\n".utf8))
        Foundation.exit(1)
    }
}
