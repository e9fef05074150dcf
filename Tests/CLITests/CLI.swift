import Foundation
import JobLogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `joblog` binary as a user would, and captures what it printed.
enum CLI {
    /// `$JOBLOG_BIN`, else `joblog` next to `$JOBLOGD_BIN`, else `.build/debug/joblog`.
    static var binary: String {
        let environment = ProcessInfo.processInfo.environment
        if let b = environment["JOBLOG_BIN"], !b.isEmpty { return b }
        return URL(fileURLWithPath: TestDaemon.binary).deletingLastPathComponent().appendingPathComponent("joblog").path
    }

    /// The directory of the binary (put first in `PATH`, so that scripts can call `joblog`).
    static var binaryDirectory: String { URL(fileURLWithPath: binary).deletingLastPathComponent().path }

    /// What a finished `joblog` printed and how it exited.
    struct Output: CustomStringConvertible {
        var status: Int32
        /// True when it was killed by a signal (`status` is then the signal).
        var signaled: Bool
        var stdout: String
        var stderr: String
        var pid: Int32

        var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    /// A `joblog` process that is still running.
    final class Running: @unchecked Sendable {
        let process: Spawned

        init(process: Spawned) { self.process = process }

        var pid: Int32 { process.pid }
        var isRunning: Bool { process.isRunning }

        /// What it printed so far on stdout.
        var stdoutSoFar: String { process.stdout }

        /// Waits for the exit (at most `timeout` seconds, then kills it and fails).
        func wait(timeout: Double = 30) throws -> Output {
            let raw: Int32
            do {
                raw = try process.wait(timeout: timeout)
            } catch {
                throw TestFailure("joblog did not exit within \(timeout) s; stdout so far:\n\(process.stdout)")
            }
            let low = raw & 0x7f
            return Output(
                status: low == 0 ? (raw >> 8) & 0xff : low, signaled: low != 0, stdout: process.stdout,
                stderr: process.stderr, pid: process.pid)
        }
    }

    /// The environment of the runs: the test's, without any JOBLOG_ variable, plus `extra`.
    static func environment(socket: String?, _ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("JOBLOG_") }
        environment["PATH"] = binaryDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        if let socket { environment["JOBLOG_SOCKET"] = socket }
        environment.merge(extra) { $1 }
        return environment
    }

    /// Starts `joblog arguments...` with stdout and stderr going to files.
    static func start(_ arguments: [String], socket: String?, environment extra: [String: String] = [:]) throws
        -> Running
    {
        let prefix = FileManager.default.temporaryDirectory.path + "/joblog-cli-" + UUID().uuidString.prefix(8)
        return Running(
            process: try Spawned(
                binary, arguments, environment: environment(socket: socket, extra), outputPrefix: prefix))
    }

    /// Runs `joblog arguments...` to its end.
    static func run(
        _ arguments: [String], socket: String?, environment extra: [String: String] = [:], timeout: Double = 30
    ) throws -> Output {
        try start(arguments, socket: socket, environment: extra).wait(timeout: timeout)
    }

    /// Waits until `condition` holds (polling every 20 ms), or fails after `timeout` seconds.
    static func waitUntil(_ what: String, timeout: Double = 15, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw TestFailure("timed out waiting for \(what)") }
            usleep(20_000)
        }
    }
}
