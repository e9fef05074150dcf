import NIOCore

/// Runs one connection's reads in request order, at most ``limit`` at a time, so one connection
/// cannot take every reader of the pool. Each read runs in a task; the count of running reads
/// lives on the connection's event loop.
///
/// A class confined to the connection's event loop (from elsewhere, reach it through a ``LoopHop``).
final class ReadScheduler {
    typealias Job = @Sendable () async -> Void

    let limit: Int
    let eventLoop: any EventLoop
    /// Reads waiting for their turn, from `head` on.
    private var queue: [Job] = []
    private var head = 0
    private(set) var running = 0
    private var stopped = false

    init(limit: Int, on eventLoop: any EventLoop) {
        self.limit = limit
        self.eventLoop = eventLoop
    }

    /// Reads queued and not yet started.
    var waiting: Int { queue.count - head }

    /// Queues `job` (on the loop) and starts what may start.
    func enqueue(_ job: @escaping Job) {
        guard !stopped else { return }
        queue.append(job)
        pump()
    }

    /// The connection is gone: what waits is dropped, nothing more starts.
    func stop() {
        stopped = true
        queue = []
        head = 0
    }

    private func pump() {
        guard !stopped else { return }
        let hop = LoopHop(self, on: eventLoop)
        while running < limit, head < queue.count {
            let job = queue[head]
            head += 1
            running += 1
            Task {
                await job()
                hop.hop { scheduler in
                    scheduler.running -= 1
                    scheduler.pump()
                }
            }
        }
        if head > 64, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
    }
}
