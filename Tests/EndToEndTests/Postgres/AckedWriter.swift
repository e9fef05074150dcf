import Foundation
import JobLogTestSupport
import Synchronization

/// One job writing into its own run with requests (`info` with an id, answered once committed)
/// until told to stop, on a thread of its own; it keeps what it was acknowledged for and counts
/// the `-32005` answers (each message is sent once: a refused one is not resent, so the store must
/// hold every acknowledged message and may hold a refused one only if its commit's answer was lost).
final class AckedWriter: Sendable {
    struct Tally {
        var acknowledged: [Int] = []
        var unavailable = 0
        /// The slowest `-32005` answer, in seconds.
        var slowestUnavailable = 0.0
        var lastUnavailableReason = ""
        var otherErrors: [String] = []
    }

    let run: String
    let name: String
    private let socketPath: String
    private let tally = Mutex(Tally())
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    init(socketPath: String, name: String) throws {
        self.socketPath = socketPath
        self.name = name
        run = try LineClient(path: socketPath).result("startRun", ["jobName": name])["jobRunId"] as! String
    }

    var snapshot: Tally { tally.withLock { $0 } }

    func start() {
        let thread = Thread { [self] in
            defer { done.signal() }
            do {
                let client = try LineClient(path: socketPath)
                var i = 0
                while !stopping.load(ordering: .relaxed) {
                    i += 1
                    let t0 = Date()
                    let response = try client.call("info", ["jobRunId": run, "message": "\(name)-\(i)"])
                    let elapsed = Date().timeIntervalSince(t0)
                    if response["result"] != nil {
                        tally.withLock { $0.acknowledged.append(i) }
                    } else if let error = response["error"] as? [String: Any], error["code"] as? Int == -32005 {
                        tally.withLock {
                            $0.unavailable += 1
                            $0.slowestUnavailable = max($0.slowestUnavailable, elapsed)
                            $0.lastUnavailableReason = "\((error["data"] as? [String: Any])?["reason"] ?? "")"
                        }
                        usleep(10_000)
                    } else {
                        tally.withLock { $0.otherErrors.append("\(response)") }
                        return
                    }
                }
            } catch {
                tally.withLock { $0.otherErrors.append("\(error)") }
            }
        }
        thread.start()
    }

    /// Waits (at most `seconds`) until this writer has `count` acknowledgements; false if not.
    func waitForAcknowledged(_ count: Int, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let tally = snapshot
            if tally.acknowledged.count >= count { return true }
            if !tally.otherErrors.isEmpty { return false }
            usleep(10_000)
        }
        return false
    }

    func stop() -> Tally {
        stopping.store(true, ordering: .relaxed)
        done.wait()
        return snapshot
    }

    /// The numbers of this writer's messages in the store, read through `client` page by page.
    func stored(through client: LineClient) throws -> [Int] {
        var numbers: [Int] = []
        var after = "0"
        while true {
            let page =
                try client.result("getLogs", ["jobRunId": run, "limit": 1000, "afterId": after])["logs"]
                as! [[String: Any]]
            if page.isEmpty { break }
            for entry in page {
                if let message = entry["message"] as? String, let n = Int(message.dropFirst(name.count + 1)) {
                    numbers.append(n)
                }
            }
            after = page.last?["id"] as? String ?? after
        }
        return numbers
    }
}
