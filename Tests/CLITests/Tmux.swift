import Foundation
import JobLogTestSupport

/// A private tmux server (its own `-L` socket) with one detached session: a real terminal for `joblog watch`.
final class Tmux: @unchecked Sendable {
    /// The tmux binary, when installed.
    static let path: String? = which("tmux")

    /// The first `name` on `PATH` (or in the usual directories).
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin"]
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var isInstalled: Bool { path != nil }

    let server = "joblog-cli-test-" + UUID().uuidString.prefix(8)

    /// Starts a `columns`x`rows` session running `command` (a shell command line).
    init(command: String, columns: Int = 120, rows: Int = 30) throws {
        let (status, output) = try tmux(["new-session", "-d", "-x", "\(columns)", "-y", "\(rows)", command])
        guard status == 0 else { throw TestFailure("tmux new-session failed: \(output)") }
    }

    /// The visible text of the pane.
    func capture() throws -> String {
        try tmux(["capture-pane", "-p"]).output
    }

    /// Types keys into the pane (`C-c` is Ctrl-C).
    func sendKeys(_ keys: String...) throws {
        let (status, output) = try tmux(["send-keys"] + keys)
        guard status == 0 else { throw TestFailure("tmux send-keys failed: \(output)") }
    }

    /// Ends the session and the server.
    func kill() {
        _ = try? tmux(["kill-server"])
    }

    deinit { kill() }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil
        environment["TERM"] = environment["TERM"].flatMap { $0 == "dumb" ? nil : $0 } ?? "xterm-256color"
        let prefix = FileManager.default.temporaryDirectory.path + "/\(server)-\(UUID().uuidString.prefix(8))"
        let process = try Spawned(
            Self.path ?? "/usr/bin/tmux", ["-L", server, "-f", "/dev/null"] + arguments, environment: environment,
            outputPrefix: prefix)
        let status = try process.wait(timeout: 20)
        return (status, process.stdout + process.stderr)
    }
}
