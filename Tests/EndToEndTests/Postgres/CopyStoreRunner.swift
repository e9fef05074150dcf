import Foundation
import JobLogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `joblogd copy-store` as a process: started, waited for (or killed), its output kept.
final class CopyStoreRunner {
    let process = Process()
    private let outputPath: String
    private let errorPath: String

    /// Starts `joblogd copy-store --from sqlite:<source> --to <target>` plus `arguments`.
    init(source: String, target: String, arguments: [String] = []) throws {
        let base = FileManager.default.temporaryDirectory.path + "/joblog-copy-" + UUID().uuidString.prefix(8)
        outputPath = base + ".out"
        errorPath = base + ".err"
        for path in [outputPath, errorPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        process.executableURL = URL(fileURLWithPath: TestDaemon.binary)
        process.arguments = ["copy-store", "--from", "sqlite:" + source, "--to", target] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        unlink(outputPath)
        unlink(errorPath)
    }

    /// Waits for the end; its exit status.
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL, and waits for it.
    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Runs a copy to its end: its status, stdout and stderr.
    static func run(source: String, target: String, _ arguments: [String] = []) throws -> (
        status: Int32, output: String, errors: String
    ) {
        let runner = try CopyStoreRunner(source: source, target: target, arguments: arguments)
        let status = runner.wait()
        return (status, runner.output, runner.errors)
    }
}
