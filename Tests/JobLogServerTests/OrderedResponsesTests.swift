import Testing

@testable import JobLogServer

/// The bytes a connection owes, as the bounded-answers check reads them: every answer held is
/// counted once, a batch as its final line, and nothing is left once all is taken.
@Suite struct OrderedResponsesTests {
    @Test func heldBytesFollowWhatIsHeld() {
        var r = OrderedResponses()
        r.append(ready: Array(repeating: 0x61, count: 10))
        let waiting = r.appendWaiting()
        let batch = r.appendBatch(parts: 2)
        #expect(r.heldBytes == 10)
        r.fulfill(batch, part: 1, Array(repeating: 0x62, count: 100))
        #expect(r.heldBytes == 110)
        r.fulfill(batch, part: 0, Array(repeating: 0x63, count: 50))
        // The batch is now one line: `[` part `,` part `]`.
        #expect(r.heldBytes == 10 + 50 + 100 + 3)
        let first = r.takeReady()
        #expect(first.lines.count == 1 && r.heldBytes == 153)
        r.fulfill(waiting, Array(repeating: 0x64, count: 7))
        let rest = r.takeReady()
        #expect(rest.lines.map(\.count) == [7, 153])
        #expect(r.heldBytes == 0 && r.isEmpty)
    }
}
