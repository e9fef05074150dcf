import Foundation
import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore
import Logging
import Testing

@testable import JobLogServer

/// The pipeline alone, without a channel, over a real store in a temporary directory: what each
/// kind of message becomes (a queued write, a read, an immediate answer, a refusal, a notification's
/// write or `.reject` write), and `hello`.
@Suite struct RequestPipelineTests {
    private static let now = Timestamp(milliseconds: 1_700_000_000_000)
    private static let peer = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())

    /// A pipeline of a connection (`numbersMessages`) over a fresh store, removed after `body`.
    private func withPipeline(
        numbersMessages: Bool = true, _ body: (inout RequestPipeline, JobLogStore) async throws -> Void
    ) async throws {
        try await withTemporaryStore("pipeline") { store, _ in
            var pipeline = RequestPipeline(
                context: .test(store, peer: Self.peer), stats: ServerStats(), numbersMessages: numbersMessages)
            try await body(&pipeline, store)
        }
    }

    /// The line through the full decoder (a leading space: never the `incrementProgress` fast path).
    private static func message(_ line: String) -> IncomingMessage {
        guard case .single(let message) = RPCDecoder.decode(line: Array((" " + line).utf8)) else {
            return .invalid(.invalidRequest("not one message"), id: .null)
        }
        return message
    }

    private static func request(_ method: String, _ params: String = "{}", id: Int? = 1) -> IncomingMessage {
        let idPart = id.map { #","id":\#($0)"# } ?? ""
        return message(#"{"jsonrpc":"2.0""# + idPart + #","method":""# + method + #"","params":"# + params + "}")
    }

    @Test func aWriteRequestIsQueuedLastForTheCallerToComplete() async throws {
        try await withPipeline { pipeline, _ in
            var ops: [WriteOp] = []
            let at = Self.now.milliseconds - 5_000
            let (id, plan) = pipeline.plan(
                Self.request("info", #"{"jobRunId":"1","message":"m","at":\#(at)}"#), now: Self.now, ops: &ops)
            #expect(id == .number("1"))
            guard case .write(_, _, let respond) = plan, let op = ops.last else {
                Issue.record("not a queued write: \(plan)")
                return
            }
            #expect(ops.count == 1)
            #expect(op.receivedAt == Self.now)
            #expect(op.at == Timestamp(milliseconds: at), "an `at` within the window is kept")
            #expect(op.callerUid == Self.peer.uid)
            #expect(op.tracker === pipeline.tracker)
            #expect(op.completion == nil, "the caller completes it")
            let result = try respond(.logID(7)).get()
            #expect(result == LogIDResult(id: 7).json)
        }
    }

    @Test func anAtOutsideTheWindowIsDropped() async throws {
        try await withPipeline { pipeline, _ in
            var ops: [WriteOp] = []
            let at = Self.now.milliseconds - CallTime.window - 1
            _ = pipeline.plan(
                Self.request("setProgress", #"{"jobRunId":"1","current":2,"at":\#(at)}"#, id: nil), now: Self.now,
                ops: &ops)
            #expect(ops.count == 1 && ops[0].at == nil, "the entry takes the daemon's time")
        }
    }

    @Test func aNotificationsWriteIsQueuedAndItHasNoAnswer() async throws {
        try await withPipeline { pipeline, _ in
            var ops: [WriteOp] = []
            let (_, plan) = pipeline.plan(
                Self.request("incrementProgress", #"{"jobRunId":"1"}"#, id: nil), now: Self.now, ops: &ops)
            guard case .none = plan else {
                Issue.record("a notification has no answer: \(plan)")
                return
            }
            #expect(ops.count == 1)
            #expect(ops.first?.receivedAt == Self.now && ops.first?.tracker === pipeline.tracker)
        }
    }

    /// The `incrementProgress` fast path queues the write the full path queues.
    @Test func aCanonicalIncrementQueuesTheSameWriteAsTheFullPath() async throws {
        try await withPipeline { pipeline, _ in
            let at = Self.now.milliseconds - 2_000
            let line = #"{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"7","by":3,"at":\#(at)}}"#
            guard case .incrementProgress(let params) = RPCDecoder.decode(line: Array(line.utf8)) else {
                Issue.record("the canonical line was not read by the fast path")
                return
            }
            var fast: [WriteOp] = []
            pipeline.planIncrement(params, now: Self.now, ops: &fast)
            var full: [WriteOp] = []
            let (_, plan) = pipeline.plan(Self.message(line), now: Self.now, ops: &full)
            guard case .none = plan else {
                Issue.record("a notification has no answer: \(plan)")
                return
            }
            #expect(fast.count == 1 && full.count == 1)
            #expect("\(fast[0].command)" == "\(full[0].command)")
            #expect(fast[0].at == full[0].at && fast[0].at?.milliseconds == at)
            #expect(fast[0].receivedAt == full[0].receivedAt && fast[0].callerUid == full[0].callerUid)
            #expect(fast[0].tracker === full[0].tracker)
        }
    }

    @Test func aReadRunsWhenTheCallerRunsIt() async throws {
        try await withPipeline { pipeline, store in
            var ops: [WriteOp] = []
            let (_, plan) = pipeline.plan(Self.request("getRun", #"{"jobRunId":"42"}"#), now: Self.now, ops: &ops)
            guard case .read = plan else {
                Issue.record("not a read: \(plan)")
                return
            }
            let answer = await plan.answer(queuing: ops, to: store)
            #expect(throws: RPCError.self) { try answer?.result.get() }
            if case .failure(let error)? = answer?.result { #expect(error.code == RPCError.unknownRun(42).code) }
        }
    }

    @Test func pingIsImmediate() async throws {
        try await withPipeline { pipeline, _ in
            var ops: [WriteOp] = []
            let (id, plan) = pipeline.plan(Self.request("ping", id: 9), now: Self.now, ops: &ops)
            guard case .immediate(.success(let result), let after, _) = plan else {
                Issue.record("not an immediate answer: \(plan)")
                return
            }
            #expect(id == .number("9") && after == nil && ops.isEmpty)
            #expect(result.objectValue?["version"]?.stringValue == "test")
        }
    }

    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":3,"method":"noSuchMethod"}"#, -32601),
        (#"{"jsonrpc":"2.0","id":3,"method":"info","params":{"jobRunId":"1"}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":3,"method":"info","params":["1","m"]}"#, -32602),
        (#"{"jsonrpc":"2.0","id":3}"#, -32600),
    ])
    func anInvalidRequestIsRefusedWithItsError(line: String, code: Int) async throws {
        try await withPipeline { pipeline, _ in
            var ops: [WriteOp] = []
            let (id, plan) = pipeline.plan(Self.message(line), now: Self.now, ops: &ops)
            guard case .refused(let error) = plan else {
                Issue.record("not refused: \(plan)")
                return
            }
            #expect(id == .number("3") && Int(error.code) == code && ops.isEmpty)
        }
    }

    @Test func aRefusedNotificationBecomesARejectWriteReportedToPing() async throws {
        try await withPipeline { pipeline, store in
            var ops: [WriteOp] = []
            let (_, plan) = pipeline.plan(
                Self.request("info", #"{"jobRunId":"1"}"#, id: nil), now: Self.now, ops: &ops)
            guard case .none = plan else {
                Issue.record("a notification has no answer: \(plan)")
                return
            }
            #expect(ops.count == 1)
            await store.submit(ops)
            _ = await store.write(.barrier)
            let (_, ping) = pipeline.plan(Self.request("ping", #"{"rejected":true}"#), now: Self.now, ops: &ops)
            let result = try await ping.answer(queuing: [], to: store)?.result.get().objectValue
            #expect(result?["rejected"]?.int64Value == 1)
            #expect(result?["lastRejection"]?.stringValue?.contains("message") == true)
        }
    }

    @Test func helloStartsANumberedSessionOnAConnection() async throws {
        try await withPipeline { pipeline, _ in
            var ops: [WriteOp] = []
            let (_, plan) = pipeline.plan(
                Self.request("hello", #"{"session":"session-0123456789ab"}"#), now: Self.now, ops: &ops)
            guard case .write(.hello, _, _) = plan, case .hello? = ops.first?.command else {
                Issue.record("hello is a write on a connection: \(plan)")
                return
            }
            ops.removeAll()
            _ = pipeline.plan(
                Self.request("info", #"{"jobRunId":"1","message":"a"}"#, id: nil), now: Self.now, ops: &ops)
            _ = pipeline.plan(
                Self.request("info", #"{"jobRunId":"1","message":"b"}"#, id: nil), now: Self.now, ops: &ops)
            #expect(ops.map(\.seq) == [1, 2], "the messages after hello are numbered from 1")
            #expect(ops.allSatisfy { $0.session != nil })
        }
    }

    @Test func helloWithoutOrderIsAnImmediateNewSession() async throws {
        try await withPipeline(numbersMessages: false) { pipeline, _ in
            var ops: [WriteOp] = []
            let (_, plan) = pipeline.plan(
                Self.request("hello", #"{"session":"session-0123456789ab"}"#), now: Self.now, ops: &ops)
            guard case .immediate(.success(let result), _, _) = plan else {
                Issue.record("hello is answered at once without a numbered session: \(plan)")
                return
            }
            #expect(result.objectValue?["applied"]?.int64Value == 0)
            _ = pipeline.plan(
                Self.request("info", #"{"jobRunId":"1","message":"a"}"#, id: nil), now: Self.now, ops: &ops)
            #expect(ops.first?.session == nil)
        }
    }
}
