import Foundation
import JobLogTestSupport
import Testing

/// Strings holding U+0000 (issue 10, point 3): names are refused with -32602 (a name that is cut,
/// or that a C-string tool reads differently, would file a run under another name); free text
/// (messages, stacks, context, params) round-trips byte for byte, also after a restart.
@Suite struct NULStringTests {
    static let nulName = "a\u{0}b"
    static let nulText = "hello\u{0}SECRET-TAIL"

    /// The error of a response: code and the field it names.
    static func failure(_ response: [String: Any]) -> (code: Int, field: String)? {
        guard let error = response["error"] as? [String: Any], let code = error["code"] as? Int else { return nil }
        return (code, (error["data"] as? [String: Any])?["field"] as? String ?? "")
    }

    @Test func namesHoldingNULAreRefused() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        for field in ["jobName", "trigger", "scope", "algorithmVersion"] {
            var params: [String: Any] = ["jobName": "nul-names"]
            params[field] = Self.nulName
            let f = Self.failure(try c.call("startRun", params))
            #expect(f?.code == -32602 && f?.field == field, "startRun \(field): \(String(describing: f))")
        }
        let id = try c.result("startRun", ["jobName": "nul-names"])["jobRunId"] as! String
        let calls: [(String, [String: Any], String)] = [
            ("setStage", ["jobRunId": id, "stage": Self.nulName], "stage"),
            ("setTotal", ["jobRunId": id, "total": 10, "unit": Self.nulName], "unit"),
            ("addOutcome", ["jobRunId": id, "key": Self.nulName], "key"),
            ("listRuns", ["jobName": Self.nulName], "jobName"),
            ("watch", ["jobName": Self.nulName], "jobName"),
        ]
        for (method, params, field) in calls {
            let f = Self.failure(try c.call(method, params))
            #expect(f?.code == -32602 && f?.field == field, "\(method) \(field): \(String(describing: f))")
        }
        // Nothing was filed under a cut name.
        let runs = try c.result("listRuns", ["jobName": "a"])["runs"] as? [Any] ?? []
        #expect(runs.isEmpty)
        let run = try c.result("getRun", ["jobRunId": id])["run"] as? [String: Any] ?? [:]
        #expect(run["currentStage"] is NSNull && run["unit"] is NSNull)
        #expect((run["outcomeSummary"] as? [String: Any])?.isEmpty == true)
    }

    @Test func freeTextRoundTripsByteForByte() throws {
        let daemon = try TestDaemon()
        let c = try daemon.connect()
        let params: [String: Any] = ["note": Self.nulText]
        let id = try c.result("startRun", ["jobName": "nul-text", "params": params])["jobRunId"] as! String
        _ = try c.result("setStage", ["jobRunId": id, "stage": "s", "message": Self.nulText])
        for method in ["debug", "info", "milestone", "warning", "error"] {
            _ = try c.result(method, ["jobRunId": id, "message": Self.nulText, "context": ["k": Self.nulText]])
        }
        _ = try c.result(
            "finishRun",
            ["jobRunId": id, "status": "FAILED", "error": ["message": Self.nulText, "stack": Self.nulText]])

        func check(_ c: LineClient, _ when: String) throws {
            let logs = try c.result("getLogs", ["jobRunId": id, "limit": 100])["logs"] as? [[String: Any]] ?? []
            #expect(logs.count == 7, "\(when): \(logs.count) entries")
            for entry in logs {
                #expect(entry["message"] as? String == Self.nulText, "\(when): \(entry)")
            }
            let contexts = logs.compactMap { ($0["context"] as? [String: Any])?["k"] as? String }
            #expect(contexts.count == 5 && contexts.allSatisfy { $0 == Self.nulText }, "\(when): \(contexts)")
            // Filtered reads take another path through the store: the same bytes.
            let errors =
                try c.result("getLogs", ["jobRunId": id, "level": "warning"])["logs"] as? [[String: Any]] ?? []
            #expect(errors.count == 3 && errors.allSatisfy { $0["message"] as? String == Self.nulText })
            let run = try c.result("getRun", ["jobRunId": id])["run"] as? [String: Any] ?? [:]
            let error = run["error"] as? [String: Any] ?? [:]
            #expect(error["message"] as? String == Self.nulText, "\(when): \(error)")
            #expect(error["stack"] as? String == Self.nulText, "\(when): \(error)")
            let metadata = run["metadata"] as? [String: Any] ?? [:]
            #expect((metadata["params"] as? [String: Any])?["note"] as? String == Self.nulText, "\(when)")
            let listed = try c.result("listRuns", ["jobName": "nul-text"])["runs"] as? [[String: Any]] ?? []
            #expect(listed.count == 1)
        }
        try check(c, "live")
        daemon.terminate()
        try daemon.start()
        try check(try daemon.connect(), "after restart")
    }
}
