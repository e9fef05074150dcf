import Foundation
import Hummingbird
import HummingbirdTesting
import JobLogJSON
import JobLogProtocol
import JobLogServer
import JobLogStore
import Logging
import Testing

@testable import JobLogHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// A real store and server (the daemon's own router and permission policy) behind the HTTP
/// application; requests go through HummingbirdTesting, the socket through the real socket.
final class HTTPFixture: Sendable {
    static let token = AccessToken(String(repeating: "ab", count: 32))
    let directory: String
    let store: JobLogStore
    let server: JobLogServer
    let session: LocalSession

    init() throws {
        directory = FileManager.default.temporaryDirectory.path + "/joblog-http-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = StoreConfiguration(path: directory + "/db.sqlite")
        config.flushIntervalMs = 2
        config.permissions = .standard()
        store = try JobLogStore(configuration: config, logger: Logger(label: "test"))
        server = JobLogServer(
            configuration: ServerConfiguration(socketPath: directory + "/sock", version: "test"), store: store,
            logger: Logger(label: "test"))
        session = server.localSession { _ in }
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The application as the daemon builds it.
    func app(
        token: AccessToken? = HTTPFixture.token, keepAlive: Duration = .seconds(15), liveLogRate: Int? = 1000
    ) -> some ApplicationProtocol {
        var c = HTTPConfiguration(host: "127.0.0.1", port: 0, tokenFile: directory + "/http-token")
        c.keepAliveInterval = keepAlive
        c.liveLogRate = liveLogRate
        return AdminApplication.make(
            server: server, store: store, configuration: c, token: token, logger: Logger(label: "test"))
    }

    static var auth: HTTPFields { [.authorization: "Bearer \(token.value)"] }

    /// Calls a method through the router; fails the test on an error.
    @discardableResult
    func call(_ method: JobLogProtocol.Method, _ params: [(String, JSONValue)]) async throws -> JSONValue {
        switch await session.call(method, JSONObject(params)).result {
        case .success(let v): return v
        case .failure(let e): throw e
        }
    }

    /// A finished run like the seed's user-sync: stages, progress, logs of every level, outcome.
    func seedRun(finish: Bool = true) async throws -> Int64 {
        let started = try await call(
            .startRun, [("jobName", .string("user-sync")), ("params", .object(JSONObject([("batchSize", .int(10))])))])
        let id = try #require(started.objectValue?["jobRunId"]?.stringValue)
        let run: JSONValue = .string(id)
        try await call(.setStage, [("jobRunId", run), ("stage", .string("Syncing users"))])
        try await call(.setTotal, [("jobRunId", run), ("total", .int(10)), ("unit", .string("users"))])
        for level in ["debug", "info", "milestone", "warning", "error"] {
            try await call(.log, [("jobRunId", run), ("level", .string(level)), ("message", .string("a \(level)"))])
        }
        try await call(.setProgress, [("jobRunId", run), ("current", .int(10))])
        try await call(.addOutcome, [("jobRunId", run), ("key", .string("synced")), ("count", .int(10))])
        try await call(.saveOutcome, [("jobRunId", run)])
        if finish { try await call(.finishRun, [("jobRunId", run), ("status", .string("SUCCESS"))]) }
        return Int64(id)!
    }
}

extension TestResponse {
    /// The body parsed as JSON.
    var json: JSONValue? { try? JSONParser.parse(Array(buffer: body)) }
    var text: String { String(buffer: body) }
}
