import JobLogJSON
import JobLogModel
import Testing

@testable import JobLogServer

/// A subscriber's queue fed a commit's events as a shared chunk: order, progress coalescing
/// per run, the bounds and their loss count; and a live view's log pace.
@Suite struct EventQueueTests {
    static func log(_ run: Int64, _ id: Int64, _ level: LogLevel = .info) -> CommittedEvent {
        let record = LogRecord(
            id: id, level: level, stage: nil, message: "m\(id)", context: RawJSON(trustedObjectText: "{}"),
            createdAt: Timestamp(milliseconds: 1))
        return CommittedEvent(runID: run, jobName: "j", at: Timestamp(milliseconds: 1), kind: .log(record))
    }

    static func progress(_ run: Int64, _ current: Int64) -> CommittedEvent {
        CommittedEvent(
            runID: run, jobName: "j", at: Timestamp(milliseconds: 1), kind: .progress(current: current, total: nil))
    }

    static func finished(_ run: Int64) -> CommittedEvent {
        CommittedEvent(runID: run, jobName: "j", at: Timestamp(milliseconds: 1), kind: .finished(.success))
    }

    /// What each event is, in order: "log 3", "progress 7", "finished".
    static func describe(_ events: [SharedEvent]) -> [String] {
        events.map { e in
            switch e.event.kind {
            case .log(let r): "log \(r.id)"
            case .progress(let current, _): "progress \(current)"
            case .finished: "finished"
            default: "other"
            }
        }
    }

    @Test func chunksKeepCommitOrderAndOneChunkServesManyQueues() async throws {
        let bytes = WatchBytes()
        let (a, b) = (EventQueue(connectionBytes: bytes), EventQueue(connectionBytes: bytes))
        let first = EventChunk([Self.log(1, 1), Self.log(2, 2)])
        let second = EventChunk([Self.log(1, 3), Self.finished(1)])
        for q in [a, b] {
            q.push(first)
            q.push(second)
        }
        #expect(bytes.bytes == 2 * (first.cost + second.cost))
        for q in [a, b] {
            let taken = try #require(await q.take())
            #expect(Self.describe(taken.events) == ["log 1", "log 2", "log 3", "finished"])
            #expect(taken.dropped == 0)
            q.release(taken.bytes)
        }
        #expect(bytes.bytes == 0)
    }

    @Test func progressCoalescesUntilAnEventOfItsRunSealsIt() async throws {
        let q = EventQueue(connectionBytes: WatchBytes())
        q.push(EventChunk([Self.progress(1, 1), Self.progress(2, 1)]))
        q.push(EventChunk([Self.progress(1, 2)]))
        // A chunk without progress: seals run 1's pending value, not run 2's.
        q.push(EventChunk([Self.log(1, 10)]))
        q.push(EventChunk([Self.progress(1, 3), Self.progress(2, 5)]))
        let taken = try #require(await q.take())
        #expect(Self.describe(taken.events) == ["progress 2", "progress 5", "log 10", "progress 3"])
    }

    @Test func overBoundsTheQueuedEventsAreDroppedAndCounted() async throws {
        let q = EventQueue(connectionBytes: WatchBytes())
        let many = (0..<Int64(EventQueue.capacity)).map { Self.log(1, $0) }
        q.push(EventChunk(many))
        q.push(EventChunk([Self.log(1, 99_999), Self.finished(1)]))
        let taken = try #require(await q.take())
        // The earlier chunk went; the newer one fits and stays.
        #expect(taken.dropped == Int64(EventQueue.capacity))
        #expect(Self.describe(taken.events) == ["log 99999", "finished"])
        // Of a chunk over the bound alone (one large commit), its newest events that fit stay.
        q.push(EventChunk(many + [Self.log(1, 100_000)]))
        let again = try #require(await q.take())
        #expect(again.dropped == 1)
        #expect(again.events.count == EventQueue.capacity)
        #expect(Self.describe(Array(again.events.prefix(1) + again.events.suffix(1))) == ["log 1", "log 100000"])
    }

    @Test func aLogBudgetKeepsTheNewestEntriesAndEveryOtherEvent() async throws {
        let q = EventQueue(connectionBytes: WatchBytes())
        q.push(EventChunk([Self.log(1, 1), Self.log(1, 2)]))
        q.push(EventChunk([Self.log(1, 3), Self.log(1, 4)]))
        q.push(EventChunk([Self.progress(1, 4), Self.log(1, 5), Self.log(1, 6), Self.finished(1)]))
        let taken = try #require(await q.take(logBudget: { 3 }))
        #expect(taken.dropped == 3)
        #expect(Self.describe(taken.events) == ["log 4", "progress 4", "log 5", "log 6", "finished"])
        // No budget left: only the events that are not log entries.
        q.push(EventChunk([Self.log(1, 7), Self.finished(1)]))
        let none = try #require(await q.take(logBudget: { 0 }))
        #expect(none.dropped == 1 && Self.describe(none.events) == ["finished"])
    }

    @Test func paceRefillsUpToASecondsWorth() {
        let start = ContinuousClock.now
        var pace = LogPace(perSecond: 3, now: start)
        #expect(pace.available(now: start) == 3)
        pace.spend(3)
        #expect(pace.exhausted)
        #expect(pace.available(now: start + .milliseconds(667)) == 2)
        pace.spend(2)
        // The bucket holds at most a second's worth, however long the pause.
        #expect(pace.available(now: start + .seconds(60)) == 3)
    }
}
