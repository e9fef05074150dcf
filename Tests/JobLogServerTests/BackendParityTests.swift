import Foundation
import JobLogJSON
import JobLogModel
import JobLogPostgres
import JobLogProtocol
import JobLogStore
import JobLogTestSupport
import Logging
import Testing

@testable import JobLogServer

/// The same calls through the router on both backends give the same answers: the SQLite store and
/// the in-memory test double (``InMemoryBackend``), which shares only the `StoreBackend` protocol.
@Suite struct BackendParityTests {
    enum Backend: String, CaseIterable {
        case sqlite, memory, postgres
    }

    /// A store on `backend` (SQLite in a temporary directory) and a router session on it.
    final class Fixture {
        let store: JobLogStore
        let session: LocalSession
        let directory: URL

        init(_ backend: Backend) async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var config = StoreConfiguration(path: directory.appendingPathComponent("db").path)
            config.maxLogsPerRun = 6
            config.nodeName = "parity-node"
            let logger = Logger(label: "test")
            switch backend {
            case .sqlite: store = try JobLogStore(configuration: config, logger: logger)
            case .memory: store = JobLogStore(backend: InMemoryBackend(), configuration: config, logger: logger)
            case .postgres:
                let url = try PostgresStoreURL(parsing: try PostgresCluster.makeDatabase())
                let backend = try await PostgresBackend.open(url: url, logger: logger)
                store = JobLogStore(backend: backend, configuration: config, logger: logger)
            }
            let server = JobLogServer(
                configuration: ServerConfiguration(
                    socketPath: directory.appendingPathComponent("sock").path, version: "test"),
                store: store, logger: logger)
            session = server.localSession(write: { _ in })
        }

        deinit {
            session.close()
            store.close()
            try? FileManager.default.removeItem(at: directory)
        }

        /// One call's answer as JSON text, its times replaced by `*` (the two runs differ in time).
        func call(_ method: Method, _ params: String) async throws -> String {
            guard case .object(let object) = try JSONParser.parse(Array(params.utf8)) else {
                throw StoreError.shuttingDown
            }
            let text: String
            switch await session.call(method, object).result {
            case .success(let value): text = JSONWriter.string(value)
            case .failure(let error): text = "error \(error.code): \(error.message)"
            }
            return
                text
                .replacingOccurrences(
                    of: #""(\w+At|elapsedMs|durationMs|ratePerSecond|etaSeconds|stopMs)":("[^"]*"|-?[0-9.e+]+)"#,
                    with: #""$1":"*""#, options: .regularExpression
                )
                // The live rate needs two samples some time apart: there on a slow machine, not on a fast one.
                .replacingOccurrences(
                    of: #""(ratePerSecond|etaSeconds)":null"#, with: #""$1":"*""#, options: .regularExpression
                )
                .replacingOccurrences(of: #"Stopped \d+ ms"#, with: "Stopped * ms", options: .regularExpression)
        }
    }

    /// A job's whole life and an operator's reads, as the socket would carry them.
    static let script: [(Method, String)] = [
        (.startRun, #"{"jobName":"etl","params":{"b":2,"a":1},"trigger":"CRON"}"#),
        (.setTotal, #"{"jobRunId":"1","total":10,"unit":"rows"}"#),
        (.setStage, #"{"jobRunId":"1","stage":"load"}"#),
        (.incrementProgress, #"{"jobRunId":"1","by":4}"#),
        (.info, #"{"jobRunId":"1","message":"read","context":{"file":"a.csv"}}"#),
        (.debug, #"{"jobRunId":"1","message":"d1"}"#),
        (.debug, #"{"jobRunId":"1","message":"d2"}"#),
        (.warning, #"{"jobRunId":"1","message":"w"}"#),
        (.addOutcome, #"{"jobRunId":"1","key":"ok","count":3}"#),
        (.addOutcome, #"{"jobRunId":"1","key":"bad"}"#),
        (.info, #"{"jobRunId":"1","message":"past the budget: d1 goes"}"#),
        (.getProgress, #"{"jobRunId":"1"}"#),
        (.getOutcome, #"{"jobRunId":"1"}"#),
        (.getLogs, #"{"jobRunId":"1","limit":3}"#),
        (.getLogs, #"{"jobRunId":"1","level":"warning"}"#),
        (.getLogs, #"{"jobRunId":"1","afterId":"2","limit":2}"#),
        (.setStage, #"{"jobRunId":"1","stage":"save","message":"Saving"}"#),
        (.logSummary, #"{"jobRunId":"1"}"#),
        (.finishRun, #"{"jobRunId":"1","status":"FAILED","errorMessage":"boom"}"#),
        (.info, #"{"jobRunId":"1","message":"too late"}"#),
        (.getRun, #"{"jobRunId":"1"}"#),
        (.getStages, #"{"jobRunId":"1"}"#),
        (.getRun, #"{"jobRunId":"999"}"#),
        (.startRun, #"{"jobName":"etl"}"#),
        (.incrementProgress, #"{"jobRunId":"2","by":9223372036854775807}"#),
        (.incrementProgress, #"{"jobRunId":"2"}"#),
        (.cancelRun, #"{"jobRunId":"2","reason":"wrong input"}"#),
        (.listRuns, #"{"status":"RUNNING"}"#),
        (.listRuns, #"{"jobName":"etl","limit":1}"#),
        (.finishRun, #"{"jobRunId":"2","status":"CANCELLED"}"#),
        (.getLogs, #"{"jobRunId":"2"}"#),
        (.listRuns, "{}"),
        (.listRuns, #"{"node":"parity-node","limit":1}"#),
        (.listRuns, #"{"node":"elsewhere"}"#),
        (.listRuns, #"{"node":5}"#),
    ]

    static func answers(_ backend: Backend) async throws -> [String] {
        let fixture = try await Fixture(backend)
        var answers: [String] = []
        for (method, params) in script { answers.append(try await fixture.call(method, params)) }
        return answers
    }

    @Test func bothBackendsAnswerEveryCallAlike() async throws {
        let sqlite = try await Self.answers(.sqlite)
        let memory = try await Self.answers(.memory)
        for (i, (a, b)) in zip(sqlite, memory).enumerated() {
            #expect(a == b, "call \(i) \(Self.script[i].0.rawValue) \(Self.script[i].1)")
        }
        #expect(sqlite.count == memory.count)
    }

    /// The PostgreSQL backend answers the same calls as SQLite, to the byte (times aside).
    @Test(.enabled(if: PostgresCluster.baseURL != nil, "\(PostgresCluster.unavailableReason)"))
    func postgresAnswersEveryCallLikeSQLite() async throws {
        let sqlite = try await Self.answers(.sqlite)
        let postgres = try await Self.answers(.postgres)
        for (i, (a, b)) in zip(sqlite, postgres).enumerated() {
            #expect(a == b, "call \(i) \(Self.script[i].0.rawValue) \(Self.script[i].1)")
        }
        #expect(sqlite.count == postgres.count)
    }

    /// What the answers say, checked on the in-memory backend (the rules, not SQLite, decide them).
    @Test func theRulesDecideTheAnswersOnTheTestBackend() async throws {
        let a = try await Self.answers(.memory)
        func answer(_ i: Int) -> String { a[i] }
        #expect(answer(11).contains(#""progressCurrent":4"#) && answer(11).contains(#""progressPercent":40"#))
        #expect(answer(11).contains(#""progressMessage":"load (4 / 10)""#))
        #expect(answer(12).contains(#""outcomeSummary":{"ok":3,"bad":1}"#))
        // The budget of 6 dropped the oldest debug entry: d2 is left, d1 is gone.
        #expect(answer(13).contains("past the budget") && !answer(13).contains(#""d1""#))
        #expect(answer(14).contains(#""message":"w""#) && !answer(14).contains("read"))
        #expect(answer(19).hasPrefix("error -32002"))
        #expect(answer(20).contains(#""status":"FAILED""#))
        #expect(answer(21).contains(#""stage":"load""#) && answer(21).contains(#""message":"Saving""#))
        #expect(answer(22).hasPrefix("error -32001"))
        #expect(answer(25).hasPrefix("error -32602"))
        #expect(answer(30).contains("Cancel requested: wrong input") && answer(30).contains("Stopped"))
        #expect(answer(32).contains(#""node":"parity-node""#) && answer(32).contains(#""jobName":"etl""#))
        #expect(answer(33) == #"{"runs":[]}"#)
        #expect(answer(34).hasPrefix("error -32602"))
    }
}
