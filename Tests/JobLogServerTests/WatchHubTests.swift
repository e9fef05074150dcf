import JobLogJSON
import JobLogModel
import JobLogProtocol
import Testing

@testable import JobLogServer

/// The fan-out: one commit, shared by every subscription, each getting exactly what its filter
/// and level want, in commit order, with the commit's encoding shared.
@Suite struct WatchHubTests {
    static func event(_ run: Int64, _ job: String, _ kind: CommittedEvent.Kind) -> CommittedEvent {
        CommittedEvent(runID: run, jobName: job, at: Timestamp(milliseconds: 1), kind: kind)
    }

    static func log(_ run: Int64, _ job: String, _ id: Int64, _ level: LogLevel) -> CommittedEvent {
        event(
            run, job,
            .log(
                LogRecord(
                    id: id, level: level, stage: nil, message: "m\(id)", context: RawJSON(trustedObjectText: "{}"),
                    createdAt: Timestamp(milliseconds: 1))))
    }

    static func describe(_ events: [SharedEvent]) -> [String] {
        events.map { e in
            switch e.event.kind {
            case .log(let r): "\(e.runID) log \(r.id)"
            case .progress(let current, _): "\(e.runID) progress \(current)"
            case .stage(let s): "\(e.runID) stage \(s)"
            default: "\(e.runID) other"
            }
        }
    }

    @Test func eachGroupGetsWhatItWantsInCommitOrder() async throws {
        try await withTemporaryStore("hub") { store, _ in
            let hub = WatchHub(store: store)
            let bytes = WatchBytes()
            let everything = hub.subscribe(.all, minLevel: .debug, connectionBytes: bytes)
            let everythingToo = hub.subscribe(.all, minLevel: .debug, connectionBytes: bytes)
            let runOne = hub.subscribe(.run(1), minLevel: .info, connectionBytes: bytes)
            let jobB = hub.subscribe(.job("b"), minLevel: .warning, connectionBytes: bytes)
            let commit = [
                Self.log(1, "a", 1, .debug), Self.log(2, "b", 2, .info), Self.event(1, "a", .stage("load")),
                Self.log(2, "b", 3, .error), Self.log(1, "a", 4, .warning), Self.event(2, "b", .slow),
            ]
            hub.publish(commit)
            let all = ["1 log 1", "2 log 2", "1 stage load", "2 log 3", "1 log 4", "2 other"]
            var commits: [ObjectIdentifier: Int] = [:]
            for (sub, expected, held) in [
                (everything, all, 6), (everythingToo, all, 6), (runOne, ["1 stage load", "1 log 4"], 2),
                (jobB, ["2 log 3", "2 other"], 2),
            ] {
                let taken = try #require(await sub.queue.take())
                #expect(Self.describe(taken.events) == expected)
                // What a queue keeps alive: the shared commit when it wants most of it, else a copy
                // of its own events only.
                #expect(Set(taken.events.map { ObjectIdentifier($0.commit) }).count == 1)
                #expect(taken.events.first?.commit.events.count == held)
                if let c = taken.events.first?.commit { commits[ObjectIdentifier(c), default: 0] += 1 }
                sub.queue.release(taken.bytes)
            }
            // The two like subscriptions share one commit; the filtered ones have their own.
            #expect(commits.values.sorted() == [1, 1, 2])
            #expect(bytes.bytes == 0)
        }
    }

    @Test func anEventIsEncodedOnceForEverySubscriberAndAsTheProtocolSaysSo() {
        let commit = CommitEvents([Self.log(7, "j", 42, .info), Self.event(7, "j", .progress(current: 3, total: 9))])
        let first = SharedEvent(commit, 0).body
        #expect(SharedEvent(commit, 0).body == first)
        let entry = commit.events[0]
        #expect(first == WatchEvent.body(jobRunId: 7, at: entry.at, kind: SharedEvent.kind(entry)))
        #expect(
            String(decoding: SharedEvent(commit, 1).body, as: UTF8.self)
                == String(
                    decoding: WatchEvent.body(
                        jobRunId: 7, at: Timestamp(milliseconds: 1), kind: .progress(current: 3, total: 9)),
                    as: UTF8.self))
    }
}
