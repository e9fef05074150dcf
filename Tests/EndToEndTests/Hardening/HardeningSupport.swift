import Foundation
import JobLogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What the hardening tests share: running the daemon binary by hand, waiting, other uids.
enum Hardening {
    /// Runs `joblogd` with `arguments` until it exits (at most `timeout` seconds; then it is killed).
    static func runDaemon(_ arguments: [String], timeout: Double = 20) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestDaemon.binary)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        do { try p.run() } catch { return (-1, "\(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (p.terminationStatus, text)
    }

    /// Polls `condition` every 20 ms for at most `seconds`; true once it held.
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            usleep(20_000)
        } while Date() < deadline
        return try condition()
    }

    /// The error code of an answer, nil for a result.
    static func code(_ answer: [String: Any]) -> Int? {
        (answer["error"] as? [String: Any])?["code"] as? Int
    }

    /// The `data.reason` (or message) of an error answer.
    static func reason(_ answer: [String: Any]) -> String {
        guard let error = answer["error"] as? [String: Any] else { return "" }
        if let data = error["data"] as? [String: Any], let r = data["reason"] as? String { return r }
        return "\(error)"
    }

    /// True when the tests can run a command as another uid (`setpriv` as root).
    static var canSwitchUser: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }

    /// The uid other processes run as in these tests: nobody.
    static let otherUid: UInt32 = 65534

    /// Runs a Python script as `otherUid` (through setpriv); its status and output.
    static func pythonAsOtherUser(_ script: String, _ arguments: [String] = []) -> (status: Int32, output: String) {
        Reliability.run(
            [
                "setpriv", "--reuid=\(otherUid)", "--regid=\(otherUid)", "--clear-groups", "/usr/bin/python3", "-c",
                script,
            ] + arguments)
    }
}
