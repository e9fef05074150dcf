import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore
import Testing

@testable import JobLogServer

/// The plan type alone: how a write's outcome becomes its result.
@Suite struct PlanTests {
    @Test func aPlainWriteAnswersAnEmptyObjectOrItsError() throws {
        guard case .write(_, let at, let respond) = Plan.write(.setStage(run: 1, stage: "s", message: nil), at: 5)
        else {
            Issue.record("not a write")
            return
        }
        #expect(at == 5, "the job's `at` as sent, checked by the pipeline")
        #expect(try respond(.done).get() == EmptyResult().json)
        #expect(throws: RPCError.unknownRun(1)) { try respond(.failed(.unknownRun(1))).get() }
    }

    @Test func aWriteReturningTheOutcomeNeedsTheRun() throws {
        guard case .write(_, _, let respond) = Plan.writeReturningOutcome(.saveOutcome(run: 1)) else {
            Issue.record("not a write")
            return
        }
        #expect(throws: RPCError.internalError) { try respond(.done).get() }
        #expect(throws: RPCError.shuttingDown) { try respond(.failed(.shuttingDown)).get() }
    }

    @Test func anImmediateAnswerHasNoActions() {
        guard case .immediate(.success(let value), let after, let onFailure) = Plan.immediate(.success(.null)) else {
            Issue.record("not immediate")
            return
        }
        #expect(value == .null && after == nil && onFailure == nil)
    }
}
