import Foundation
import JobLogProtocol
import JobLogTestSupport
import Testing

/// The insight reads across runs (`searchLogs`, `listJobs`, `getJobStats`, `compareRuns`) on
/// SQLite and PostgreSQL: the same answers (times and durations aside). The in-memory test double
/// does not keep them (it answers `-32005`), so it is left out here.
extension BackendParityTests {
    /// Seven runs of `sync` with stages, counters and entries (texts with `%`, `_`, case and
    /// non-ASCII), one RUNNING run of `sync-b`, one of `other`; then the reads.
    static let insightScript: [(Method, String)] = {
        var script: [(Method, String)] = []
        for i in 1...7 {
            let id = "\"\(i)\""
            script += [
                (.startRun, #"{"jobName":"sync"}"#),
                (.setStage, #"{"jobRunId":\#(id),"stage":"fetch"}"#),
                (.info, #"{"jobRunId":\#(id),"message":"row \#(i) of 50%","context":{"file":"f\#(i).csv"}}"#),
                (.addOutcome, #"{"jobRunId":\#(id),"key":"rows","count":\#(i * 10)}"#),
            ]
            if i != 7 { script.append((.setStage, #"{"jobRunId":\#(id),"stage":"save"}"#)) }
            if i % 2 == 0 { script.append((.warning, #"{"jobRunId":\#(id),"message":"Row_\#(i) late, ü"}"#)) }
            if i == 3 { script.append((.addOutcome, #"{"jobRunId":"3","key":"skipped","count":2}"#)) }
            script.append((.finishRun, #"{"jobRunId":\#(id),"status":"\#(i == 5 ? "FAILED" : "SUCCESS")"}"#))
        }
        script += [
            (.startRun, #"{"jobName":"sync-b"}"#),
            (.error, #"{"jobRunId":"8","message":"b failed once"}"#),
            (.startRun, #"{"jobName":"other"}"#),
            (.searchLogs, "{}"),
            (.searchLogs, #"{"jobName":"sync","limit":3}"#),
            (.searchLogs, #"{"jobName":"sync","level":"warning"}"#),
            (.searchLogs, #"{"level":"error"}"#),
            (.searchLogs, #"{"text":"Row"}"#),
            (.searchLogs, #"{"text":"row"}"#),
            (.searchLogs, #"{"text":"%"}"#),
            (.searchLogs, #"{"text":"w_"}"#),
            (.searchLogs, #"{"text":"_"}"#),
            (.searchLogs, #"{"text":"ü"}"#),
            (.searchLogs, #"{"text":"\"file\":\"f3"}"#),
            (.searchLogs, #"{"jobRunId":"2","afterId":"3","limit":2}"#),
            (.searchLogs, #"{"afterId":"5","limit":4}"#),
            (.searchLogs, #"{"jobRunId":"999"}"#),
            (.searchLogs, #"{"jobName":"nope"}"#),
            (.searchLogs, #"{"since":"2000-01-01T00:00:00Z","until":"2999-01-01T00:00:00Z","limit":5}"#),
            (.searchLogs, #"{"since":"2999-01-01T00:00:00Z"}"#),
            (.listJobs, "{}"),
            (.listJobs, #"{"jobName":"sync"}"#),
            (.listJobs, #"{"jobName":"sync","limit":1}"#),
            (.listJobs, #"{"jobName":"zz"}"#),
            (.getJobStats, #"{"jobName":"sync"}"#),
            (.getJobStats, #"{"jobName":"sync","last":2}"#),
            (.getJobStats, #"{"jobName":"nope"}"#),
            (.compareRuns, #"{"jobRunId":"7"}"#),
            (.compareRuns, #"{"jobRunId":"7","baselineRunId":"3"}"#),
            (.compareRuns, #"{"jobRunId":"8"}"#),
            (.compareRuns, #"{"jobRunId":"7","baselineRunId":"999"}"#),
            (.compareRuns, #"{"jobRunId":"999"}"#),
            (.getRun, #"{"jobRunId":"7"}"#),
        ]
        return script
    }()

    /// Durations depend on the clock: their values become `*`, and the comparison's stage rows
    /// (ordered by the size of a duration's change) are sorted.
    static func withoutDurations(_ answer: String) -> String {
        var text =
            answer
            .replacingOccurrences(
                of: #""durationMs":\{[^}]*\}"#, with: #""durationMs":"*""#, options: .regularExpression
            )
            .replacingOccurrences(
                of: #""(p50|p95|ratio)":(-?[0-9.e+]+|null)"#, with: #""$1":"*""#, options: .regularExpression
            )
            .replacingOccurrences(
                of: #""stage":"([^"]*)","run":(-?[0-9]+|null|"\*"),"baseline":(-?[0-9]+|null|"\*")"#,
                with: #""stage":"$1","run":"*","baseline":"*""#, options: .regularExpression)
        if let open = text.range(of: #""stages":["#), let close = text[open.upperBound...].firstIndex(of: "]") {
            let rows = text[open.upperBound..<close].components(separatedBy: "},{").map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
            }
            text.replaceSubrange(
                open.upperBound..<close, with: rows.sorted().map { "{" + $0 + "}" }.joined(separator: ","))
        }
        return text
    }

    static func insightAnswers(_ backend: Backend) async throws -> [String] {
        let fixture = try await Fixture(backend)
        var answers: [String] = []
        for (method, params) in insightScript {
            answers.append(withoutDurations(try await fixture.call(method, params)))
        }
        return answers
    }

    /// PostgreSQL answers the insight reads as SQLite does.
    @Test(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
    func postgresAnswersTheInsightReadsLikeSQLite() async throws {
        let sqlite = try await Self.insightAnswers(.sqlite)
        let postgres = try await Self.insightAnswers(.postgres)
        for (i, (a, b)) in zip(sqlite, postgres).enumerated() {
            #expect(a == b, "call \(i) \(Self.insightScript[i].0.rawValue) \(Self.insightScript[i].1)")
        }
        #expect(sqlite.count == postgres.count)
        // What they say (so that equal answers are not equally empty).
        let reads = Array(sqlite.suffix(30))
        #expect(reads[0].contains(#""message":"b failed once""#))
        #expect(reads[4].contains("Row_2") && !reads[4].contains("row 1 of"))
        #expect(reads[6].components(separatedBy: "50%").count == 8)
        #expect(reads[7].contains("Row_4") && !reads[7].contains("row 1"))
        #expect(reads[13].hasPrefix("error -32001"))
        #expect(reads[17].contains(#""jobName":"sync""#) && reads[17].contains(#""jobName":"sync-b""#))
        #expect(reads[21].contains(#""runs":7"#) && reads[21].contains(#""SUCCESS":6"#))
        #expect(reads[24].contains("median of 5 runs") && reads[24].contains(#""key":"rows","run":70"#))
        #expect(reads[27].hasPrefix("error -32001") && reads[28].hasPrefix("error -32001"))
    }

    /// The in-memory double does not keep the insight reads: it says so instead of answering wrong.
    @Test func theTestBackendRefusesTheInsightReads() async throws {
        let memory = try await Self.insightAnswers(.memory)
        let reads = memory.suffix(30)
        #expect(reads.filter { $0.hasPrefix("error -32005") }.count >= 20)
    }
}
