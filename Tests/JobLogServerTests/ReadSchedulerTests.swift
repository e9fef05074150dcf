import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import JobLogServer

/// One connection's reads: at most the limit run at once, started in request order, and the
/// rest start as earlier ones finish; nothing starts once the connection is gone.
@Suite struct ReadSchedulerTests {
    /// What the reads did, in order, and a gate they wait at.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        private let open = Atomic<Bool>(false)

        var all: [String] { entries.withLock { $0 } }
        func note(_ entry: String) { entries.withLock { $0.append(entry) } }
        func release() { open.store(true, ordering: .releasing) }

        func wait() async {
            while !open.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(1)) }
        }

        func until(_ condition: ([String]) -> Bool) async {
            for _ in 0..<5000 where !condition(all) { try? await Task.sleep(for: .milliseconds(1)) }
        }
    }

    @Test func atMostTheLimitRunAtOnceInRequestOrder() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let scheduler = try await loop.submit { NIOLoopBound(ReadScheduler(limit: 2, on: loop), eventLoop: loop) }.get()
        let journal = Journal()
        try await loop.submit {
            for i in 0..<5 {
                scheduler.value.enqueue {
                    journal.note("start \(i)")
                    await journal.wait()
                }
            }
        }.get()
        await journal.until { $0.count == 2 }
        try await Task.sleep(for: .milliseconds(20))
        #expect(journal.all == ["start 0", "start 1"], "two run, the others wait")
        #expect(try await loop.submit { (scheduler.value.running, scheduler.value.waiting) }.get() == (2, 3))
        journal.release()
        await journal.until { $0.count == 5 }
        #expect(journal.all == (0..<5).map { "start \($0)" })
        // The last completions hop back to the loop.
        for _ in 0..<5000 where try await loop.submit({ scheduler.value.running }).get() > 0 {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(try await loop.submit { scheduler.value.running }.get() == 0)
    }

    @Test func nothingStartsOnceStopped() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let scheduler = try await loop.submit { NIOLoopBound(ReadScheduler(limit: 1, on: loop), eventLoop: loop) }.get()
        let journal = Journal()
        try await loop.submit {
            for i in 0..<3 {
                scheduler.value.enqueue {
                    journal.note("start \(i)")
                    await journal.wait()
                }
            }
            scheduler.value.stop()
        }.get()
        journal.release()
        try await Task.sleep(for: .milliseconds(50))
        #expect(journal.all == ["start 0"], "the one running finishes; the waiting ones never start")
        #expect(try await loop.submit { scheduler.value.waiting }.get() == 0)
    }
}
