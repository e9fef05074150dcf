import Foundation
import JobLogModel
import JobLogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Helpers of the insights tests: runs driven over the real socket.
enum Insights {
    /// Milliseconds since the epoch of an ISO 8601 field.
    static func ms(_ value: Any?) -> Int64? {
        (value as? String).flatMap(Timestamp.init(iso8601:))?.milliseconds
    }

    /// Starts a run of `job`, goes through `stages` (name, milliseconds spent), finishes it with `status`.
    @discardableResult
    static func run(
        _ client: LineClient, job: String, stages: [(String, Int)], status: String = "SUCCESS",
        outcome: [String: Int] = [:]
    ) throws -> String {
        let id = try client.result("startRun", ["jobName": job])["jobRunId"] as! String
        for (stage, ms) in stages {
            try client.notify("setStage", ["jobRunId": id, "stage": stage])
            try client.notify("incrementProgress", ["jobRunId": id])
            usleep(UInt32(ms) * 1000)
        }
        for (key, count) in outcome {
            try client.notify("addOutcome", ["jobRunId": id, "key": key, "count": count])
        }
        _ = try client.result("finishRun", ["jobRunId": id, "status": status])
        return id
    }

    /// Polls `getRun` until `predicate` holds (or `seconds` pass); returns the last run seen.
    static func waitForRun(
        _ client: LineClient, _ id: String, within seconds: Double, _ predicate: ([String: Any]) -> Bool
    ) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        var run: [String: Any] = [:]
        while Date() < deadline {
            run = try client.result("getRun", ["jobRunId": id])["run"] as! [String: Any]
            if predicate(run) { return run }
            usleep(50_000)
        }
        return run
    }

    /// The messages of a run's entries at `level`.
    static func messages(_ client: LineClient, _ id: String, level: String) throws -> [String] {
        let logs =
            try client.result("getLogs", ["jobRunId": id, "level": level, "limit": 1000])["logs"] as! [[String: Any]]
        return logs.filter { $0["level"] as? String == level }.compactMap { $0["message"] as? String }
    }

    /// Nearest-rank percentile (the daemon's definition).
    static func percentile(_ values: [Int64], _ q: Double) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
