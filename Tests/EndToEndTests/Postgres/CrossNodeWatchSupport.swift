import Foundation
import JobLogTestSupport

/// Two daemons (`a`, `b`) on one PostgreSQL database, and reading `watch` events.
struct CrossNodePair {
    let a: TestDaemon
    let b: TestDaemon

    init(aArguments: [String] = [], bArguments: [String] = []) throws {
        let url = try PostgresCluster.makeDatabase()
        a = try TestDaemon(arguments: ["--store", url, "--node-name", "a"] + aArguments)
        b = try TestDaemon(arguments: ["--store", url, "--node-name", "b"] + bArguments)
    }

    /// Waits until `b` follows what `a` commits: a run started and logged through `a` reaches a
    /// watcher of `b` (its feed is listening), then finishes it.
    func waitUntilListening() throws {
        // A short receive timeout: until b listens, nothing arrives.
        let watcher = try LineClient(path: b.socketPath, timeoutSeconds: 1)
        _ = try watcher.result("watch", ["jobName": "warm-up", "level": "info"])
        let job = try a.connect()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let id = try job.result("startRun", ["jobName": "warm-up"])["jobRunId"] as? String ?? ""
            _ = try job.result("info", ["jobRunId": id, "message": "ping"])
            _ = try job.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])
            let events = try CrossNodeEvents.read(watcher, until: Date().addingTimeInterval(3)) {
                $0["type"] as? String == "run.finished" && $0["jobRunId"] as? String == id
            }
            if events.contains(where: { $0["type"] as? String == "log" && $0["jobRunId"] as? String == id }) { return }
        }
        throw TestFailure("daemon b never saw a run of daemon a")
    }

    func stop() -> (Int32, Int32) { (a.terminate(), b.terminate()) }
}

enum CrossNodeEvents {
    /// The `params` of the events read from `client` until one satisfies `stop` (included), the
    /// deadline passes or a read times out.
    static func read(_ client: LineClient, until deadline: Date, stop: ([String: Any]) -> Bool) throws
        -> [[String: Any]]
    {
        var out: [[String: Any]] = []
        while Date() < deadline {
            guard let line = try? client.readLine() else { break }
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            guard object["method"] as? String == "event", let params = object["params"] as? [String: Any] else {
                continue
            }
            out.append(params)
            if stop(params) { break }
        }
        return out
    }

    /// One line per event that must match across nodes exactly: entries by id, stage changes,
    /// the cancel request and the end (progress and outcome are compared apart: they may coalesce).
    static func exact(_ events: [[String: Any]]) -> [String] {
        events.compactMap { e in
            switch e["type"] as? String {
            case "log":
                let log = e["log"] as? [String: Any] ?? [:]
                return "log \(log["id"] ?? "?") \(log["level"] ?? "?") \(log["message"] ?? "?")"
            case "stage": return "stage \(e["stage"] ?? "?")"
            case "cancel": return "cancel \(e["reason"] ?? "?")"
            case "run.finished": return "finished \(e["status"] ?? "?")"
            case "run.started": return "started"
            default: return nil
            }
        }
    }

    static func last(_ type: String, _ events: [[String: Any]]) -> [String: Any]? {
        events.last { $0["type"] as? String == type }
    }
}
