import Testing

@testable import JobLogServer

/// A batch planned member by member: members that answer get a part each, in array order,
/// filled in any order; the batch is one line once closed and complete; a batch of notifications
/// only has no answer at all.
@Suite struct OrderedResponsesOpenBatchTests {
    @Test func aBatchIsWrittenOnlyOnceClosedAndComplete() {
        var r = OrderedResponses()
        let batch = r.openBatch()
        let first = r.addPart(to: batch)
        r.fulfill(first, Array("1".utf8))
        let second = r.addPart(to: batch)
        #expect(r.takeReady().lines.isEmpty, "open: more members may come")
        r.closeBatch(batch)
        #expect(r.takeReady().lines.isEmpty, "a member is still missing")
        r.fulfill(second, Array("2".utf8))
        #expect(r.takeReady().lines == [Array("[1,2]".utf8)])
        #expect(r.isEmpty && r.heldBytes == 0)
    }

    @Test func aBatchAnsweredWhilePlannedIsReadyWhenClosed() {
        var r = OrderedResponses()
        let batch = r.openBatch()
        r.fulfill(r.addPart(to: batch), Array("1".utf8))
        r.closeBatch(batch)
        #expect(r.takeReady().lines == [Array("[1]".utf8)])
    }

    @Test func aBatchOfNotificationsHasNoAnswer() {
        var r = OrderedResponses()
        let batch = r.openBatch()
        r.closeBatch(batch)
        #expect(r.isEmpty)
        r.append(ready: Array("next".utf8))
        #expect(r.takeReady().lines == [Array("next".utf8)])
    }

    @Test func aSingleAnswersActionIsTakenWithItsLine() {
        var r = OrderedResponses()
        let single = OrderedResponses.Place.single(r.appendWaiting())
        r.fulfill(single, Array("a".utf8), after: {})
        let (lines, actions) = r.takeReady()
        #expect(lines.count == 1 && actions.count == 1, "the action runs once the answer is written")
    }
}
