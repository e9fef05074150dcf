import Foundation
import JobLogModel
import JobLogProtocol
import JobLogStore
import Logging
import Testing

@testable import JobLogServer

/// The router alone: every method reaches its handler and comes back as the kind of answer the
/// connection must plan for (a write queued in order, a read after the writes, an immediate
/// answer), and bad calls come back as their protocol errors without touching the store.
@Suite struct RouterTests {
    enum Kind: Equatable {
        case write, read, immediate
        case failure(Int)
    }

    /// Routes `line` (one JSON-RPC request) with a context over a real store in a temporary directory.
    private func kind(of line: String) async throws -> Kind {
        try await withTemporaryStore("router") { store, _ in
            Self.kind(of: line, .test(store, peer: PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())))
        }
    }

    private static func kind(of line: String, _ context: RequestContext) -> Kind {
        guard case .single(.request(let request)) = RPCDecoder.decode(line: Array(line.utf8)) else {
            Issue.record("not a request: \(line)")
            return .failure(0)
        }
        switch Router.route(request, context) {
        case .write: return .write
        case .read: return .read
        case .immediate: return .immediate
        case .refused(let error): return .failure(Int(error.code))
        case .none: return .failure(0)
        }
    }

    private static func call(_ method: String, _ params: String = "{}") -> String {
        #"{"jsonrpc":"2.0","id":1,"method":""# + method + #"","params":"# + params + "}"
    }

    @Test(
        arguments: [
            ("startRun", #"{"jobName":"j"}"#, Kind.write),
            ("setStage", #"{"jobRunId":"1","stage":"s"}"#, .write),
            ("setTotal", #"{"jobRunId":"1","total":10}"#, .write),
            ("incrementProgress", #"{"jobRunId":"1"}"#, .write),
            ("setProgress", #"{"jobRunId":"1","current":3}"#, .write),
            ("info", #"{"jobRunId":"1","message":"m"}"#, .write),
            ("log", #"{"jobRunId":"1","level":"warning","message":"m"}"#, .write),
            ("addOutcome", #"{"jobRunId":"1","key":"k"}"#, .write),
            ("saveOutcome", #"{"jobRunId":"1"}"#, .write),
            ("finishRun", #"{"jobRunId":"1","status":"SUCCESS"}"#, .write),
            ("getLogs", #"{"jobRunId":"1"}"#, .read),
            ("getProgress", #"{"jobRunId":"1"}"#, .read),
            ("getOutcome", #"{"jobRunId":"1"}"#, .read),
            ("getRun", #"{"jobRunId":"1"}"#, .read),
            ("listRuns", "{}", .read),
            ("ping", "{}", .immediate),
        ])
    func everyMethodReachesItsHandler(method: String, params: String, expected: Kind) async throws {
        #expect(try await kind(of: Self.call(method, params)) == expected)
    }

    @Test(
        arguments: [
            (Self.call("noSuchMethod"), -32601),
            (Self.call("info", #"{"jobRunId":"1"}"#), -32602),
            (Self.call("startRun", #"{"jobName":""}"#), -32602),
            (Self.call("finishRun", #"{"jobRunId":"1","status":"MAYBE"}"#), -32602),
            (Self.call("getLogs", #"{"jobRunId":"x"}"#), -32602),
        ])
    func badCallsAreTheirProtocolErrors(line: String, code: Int) async throws {
        #expect(try await kind(of: line) == .failure(code))
    }
}
