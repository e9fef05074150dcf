import Foundation
import JobLogTestSupport

/// Reads what the daemon stored, over a plain line client (independent of the CLI under test).
struct DaemonView {
    let client: LineClient

    init(_ daemon: TestDaemon) throws { client = try daemon.connect() }

    /// `getRun`'s run object.
    func run(_ id: String) throws -> [String: Any] {
        guard let run = try client.result("getRun", ["jobRunId": id])["run"] as? [String: Any] else {
            throw TestFailure("getRun \(id): no run")
        }
        return run
    }

    /// The run's entries, oldest first.
    func logs(_ id: String, level: String? = nil) throws -> [[String: Any]] {
        var params: [String: Any] = ["jobRunId": id, "limit": 1000]
        if let level { params["level"] = level }
        return try client.result("getLogs", params)["logs"] as? [[String: Any]] ?? []
    }

    /// `getLogs`' response line as the daemon sent it.
    func rawLogs(_ id: String) throws -> String {
        try client.send(#"{"jsonrpc":"2.0","method":"getLogs","params":{"jobRunId":"\#(id)","limit":1000},"id":1}"#)
        return try client.readLine() ?? ""
    }

    /// The runs, newest first.
    func runs() throws -> [[String: Any]] {
        try client.result("listRuns", [:])["runs"] as? [[String: Any]] ?? []
    }

    /// Starts a run owned by this test process (so that it stays RUNNING); returns its id.
    func startRun(_ name: String, params: [String: Any] = [:]) throws -> String {
        let result = try client.result(
            "startRun", ["jobName": name, "pid": Int(ProcessInfo.processInfo.processIdentifier), "params": params])
        guard let id = result["jobRunId"] as? String else { throw TestFailure("startRun: \(result)") }
        return id
    }

    /// Sends a request and fails unless it succeeds.
    @discardableResult
    func call(_ method: String, _ params: [String: Any]) throws -> [String: Any] {
        try client.result(method, params)
    }

    /// The message of each entry.
    func messages(_ id: String, level: String? = nil) throws -> [String] {
        try logs(id, level: level).compactMap { $0["message"] as? String }
    }
}
