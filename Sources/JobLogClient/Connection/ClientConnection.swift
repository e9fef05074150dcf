import Foundation
import JobLogJSON
import JobLogModel
import JobLogProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// One connection to the daemon, driven by its own I/O thread.
///
/// Callers only append encoded lines to an in-memory buffer (a notification
/// costs an encode and an append: no syscall). The I/O thread writes the
/// buffer in large writes, reads responses and resolves requests by id.
///
/// Everything sent stays in the buffer until a response acknowledges it (a
/// response covers every earlier message on the connection: Spec section 5);
/// after a reconnect the unacknowledged part is sent again, in order. The
/// thread sends a `ping` now and then when only notifications are in flight,
/// so that the kept part stays small.
final class ClientConnection: @unchecked Sendable {
    typealias Completion = @Sendable (Result<JSONValue, JobLogClientError>) -> Void

    private struct Waiter {
        var completion: Completion
        /// While the daemon is unreachable, the request fails at this time.
        var deadline: ContinuousClock.Instant
    }

    private struct Message {
        var seq: Int64
        var end: Int
        var isRequest: Bool
    }

    let configuration: ClientConfiguration
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var buffer: [UInt8] = []
    /// Offset in `buffer` of the first unacknowledged byte.
    private var start = 0
    /// Offset in `buffer` up to which the current socket has been written.
    private var sent = 0
    private var messages: [Message] = []
    private var messagesHead = 0
    private var waiters: [Int64: Waiter] = [:]
    private var nextSeq: Int64 = 1
    private var connected = false
    private var everConnected = false
    private var stopping = false
    private var urgent = false
    private var lastBarrier = ContinuousClock.now
    private var droppedMessages = 0
    /// Messages dropped per run (its decimal id), not yet reported into the run.
    private var droppedByRun: [String: Int] = [:]
    private var warnedDown = false
    /// Why the last connect failed (for the `daemonUnreachable` error).
    private var lastConnectError: UnixSocketError?
    private var eventHandler: (@Sendable (String, JSONValue) -> Void)?
    /// Called for the daemon's `cancel` notifications (kept apart from watch events).
    private var cancelHandler: (@Sendable (JSONValue) -> Void)?

    /// A self-pipe: callers write a byte to wake the I/O thread out of `poll`.
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private let finished = DispatchSemaphore(value: 0)

    init(configuration: ClientConfiguration) {
        self.configuration = configuration
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeFD = fds[0]
        wakeWriteFD = fds[1]
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "joblog-client-io"
        thread.start()
    }

    /// Called on the I/O thread for each notification the daemon sends (watch events).
    func setEventHandler(_ handler: @escaping @Sendable (String, JSONValue) -> Void) {
        condition.withLock { eventHandler = handler }
    }

    /// Called on the I/O thread for each `cancel` notification.
    func setCancelHandler(_ handler: @escaping @Sendable (JSONValue) -> Void) {
        condition.withLock { cancelHandler = handler }
    }

    // MARK: - Sending

    /// Queues a notification line (with its newline).
    func send(notification line: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return }
        waitForRoom()
        let wasIdle = buffer.count == sent
        append(line, isRequest: false, seq: nextSeq)
        nextSeq += 1
        if wasIdle || buffer.count - sent > 64 * 1024 { wake() }
    }

    /// Queues a request built by `make(id)` and calls `completion` with its result.
    func send(request make: (RequestID) -> [UInt8], timeout: Duration? = nil, completion: @escaping Completion) {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            completion(.failure(.closed))
            return
        }
        waitForRoom()
        let seq = nextSeq
        nextSeq += 1
        var wait = timeout ?? configuration.connectTimeout
        if !everConnected { wait = min(wait, configuration.unreachableTimeout) }
        waiters[seq] = Waiter(completion: completion, deadline: .now + wait)
        append(make(.number(String(seq))), isRequest: true, seq: seq)
        urgent = true
        wake()
        condition.unlock()
    }

    /// Sends a request and waits for its result. While the daemon is unreachable it
    /// fails after `timeout` (default: the connect timeout); a connected daemon is waited for.
    func call(_ make: (RequestID) -> [UInt8], timeout: Duration? = nil) async throws(JobLogClientError) -> JSONValue {
        let result: Result<JSONValue, JobLogClientError> = await withCheckedContinuation { c in
            send(request: make, timeout: timeout) { c.resume(returning: $0) }
        }
        return try result.get()
    }

    var isConnected: Bool { condition.withLock { connected } }

    /// Stops the I/O thread after trying, for at most `timeout`, to get everything acknowledged.
    func close(timeout: Duration = .seconds(2)) {
        let deadline = ContinuousClock.now + timeout
        condition.lock()
        while start < buffer.count, connected, ContinuousClock.now < deadline {
            if waiters.isEmpty {
                // Ask for an acknowledgement of the notifications.
                let seq = nextSeq
                nextSeq += 1
                append(
                    RPCRequest(method: Method.ping.rawValue, id: .number(String(seq))).line, isRequest: true, seq: seq)
                urgent = true
                wake()
            }
            _ = condition.wait(until: Date().addingTimeInterval(0.01))
        }
        stopping = true
        wake()
        condition.unlock()
        finished.wait()
        Glibc.close(wakeFD)
        Glibc.close(wakeWriteFD)
        let pending = condition.withLock { () -> [Waiter] in
            let w = Array(waiters.values)
            waiters.removeAll()
            return w
        }
        for w in pending { w.completion(.failure(.closed)) }
    }

    // Lock held.
    private func append(_ line: [UInt8], isRequest: Bool, seq: Int64) {
        buffer.append(contentsOf: line)
        messages.append(Message(seq: seq, end: buffer.count, isRequest: isRequest))
        if buffer.count - start > configuration.maxRetainedBytes { dropOldest() }
    }

    // Lock held: callers wait while a connected daemon has not taken what was sent.
    private func waitForRoom() {
        while connected, !stopping, buffer.count - sent > configuration.maxUnsentBytes {
            condition.wait()
        }
    }

    // Lock held: the daemon has been away too long; forget the oldest messages.
    private func dropOldest() {
        var failed: [Completion] = []
        while messagesHead < messages.count, buffer.count - start > configuration.maxRetainedBytes / 2 {
            let m = messages[messagesHead]
            if m.isRequest, let w = waiters.removeValue(forKey: m.seq) { failed.append(w.completion) }
            if let run = Self.runID(in: buffer[start..<m.end]) { droppedByRun[run, default: 0] += 1 }
            start = m.end
            messagesHead += 1
            droppedMessages += 1
        }
        if sent < start { sent = start }
        compact()
        if configuration.warnings {
            warn("joblog: the daemon has been unreachable too long; dropped \(droppedMessages) unsent messages")
        }
        for w in failed { w(.failure(.closed)) }
    }

    /// The `jobRunId` of an encoded message (`"jobRunId":"N"`), if it has one.
    static func runID(in line: ArraySlice<UInt8>) -> String? {
        let key = Array(#""jobRunId":""#.utf8)
        guard line.count > key.count else { return nil }
        var i = line.startIndex
        while i + key.count <= line.endIndex {
            if line[i..<i + key.count].elementsEqual(key) {
                var j = i + key.count
                var digits: [UInt8] = []
                while j < line.endIndex, line[j] >= UInt8(ascii: "0"), line[j] <= UInt8(ascii: "9") {
                    digits.append(line[j])
                    j += 1
                }
                return digits.isEmpty ? nil : String(decoding: digits, as: UTF8.self)
            }
            i += 1
        }
        return nil
    }

    /// Lock held, at a reconnect: a `warning` entry in each run that lost messages while the
    /// daemon was unreachable (issue 10 #16), after what is resent.
    private func noteDroppedMessages() {
        guard !droppedByRun.isEmpty else { return }
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US")
        for (run, n) in droppedByRun.sorted(by: { $0.key < $1.key }) {
            guard let id = Int64(run) else { continue }
            let count = formatter.string(from: NSNumber(value: n)) ?? String(n)
            let context = RawJSON(validating: #"{"droppedMessages":\#(n),"client":"swift"}"#)
            let params = LogParams(
                jobRunId: id, level: .warning,
                message: "client dropped \(count) messages while the daemon was unreachable", context: context,
                at: Timestamp.now().milliseconds)
            append(RPCRequest(params.method, params, id: nil).line, isRequest: false, seq: nextSeq)
            nextSeq += 1
        }
        droppedByRun.removeAll()
    }

    // Lock held.
    private func compact() {
        guard start > 1 << 20, start * 2 > buffer.count else { return }
        buffer.removeFirst(start)
        for i in messagesHead..<messages.count { messages[i].end -= start }
        messages.removeFirst(messagesHead)
        messagesHead = 0
        sent -= start
        start = 0
    }

    // Lock held.
    private func acknowledge(upTo seq: Int64) {
        while messagesHead < messages.count, messages[messagesHead].seq <= seq {
            start = messages[messagesHead].end
            messagesHead += 1
        }
        if messagesHead == messages.count {
            messages.removeAll(keepingCapacity: true)
            messagesHead = 0
            if sent == buffer.count {
                buffer.removeAll(keepingCapacity: buffer.capacity < 4 << 20)
                start = 0
                sent = 0
            }
        } else {
            compact()
        }
    }

    private func wake() {
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    private func warn(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    // MARK: - The I/O thread

    private func run() {
        var fd: Int32 = -1
        var backoffMs = 20
        var readBuffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if condition.withLock({ stopping }) { break }
            if fd < 0 {
                let attempt = Result { () throws(UnixSocketError) -> Int32 in
                    try UnixSocket.connect(configuration.socketPath, nonBlocking: true)
                }
                if case .success(let s) = attempt {
                    fd = s
                    backoffMs = 20
                    readBuffer.removeAll()
                    let reconnected: Bool = condition.withLock {
                        connected = true
                        sent = start  // resend everything not acknowledged
                        noteDroppedMessages()
                        urgent = true
                        let again = warnedDown
                        warnedDown = false
                        everConnected = true
                        return again
                    }
                    if reconnected, configuration.warnings {
                        warn("joblog: reconnected to \(configuration.socketPath)")
                    }
                } else {
                    if case .failure(let error) = attempt { condition.withLock { lastConnectError = error } }
                    let firstMiss: Bool = condition.withLock {
                        let first = !warnedDown && (everConnected || !waiters.isEmpty || buffer.count > start)
                        if first { warnedDown = true }
                        return first
                    }
                    if firstMiss, configuration.warnings {
                        let reason = condition.withLock { lastConnectError?.reason ?? "not answering" }
                        warn(
                            "joblog: daemon unreachable at \(configuration.socketPath) (\(reason)); "
                                + "reporting is kept and retried")
                    }
                    sleepOrWake(milliseconds: min(backoffMs, millisecondsToNextDeadline()))
                    backoffMs = min(backoffMs * 2, 1000)
                    expireWaiters()
                    continue
                }
            }
            // What to write now.
            let (pending, isUrgent, wantBarrier) = condition.withLock { () -> (Int, Bool, Bool) in
                let pending = buffer.count - sent
                let u = urgent || pending > 64 * 1024
                // Notifications in flight and no request to acknowledge them: ask for one now and then.
                let barrier =
                    waiters.isEmpty && start < sent && sent == buffer.count
                    && ContinuousClock.now - lastBarrier > .milliseconds(100)
                return (pending, u, barrier)
            }
            if wantBarrier {
                condition.withLock {
                    let seq = nextSeq
                    nextSeq += 1
                    append(
                        RPCRequest(method: Method.ping.rawValue, id: .number(String(seq))).line, isRequest: true,
                        seq: seq)
                    lastBarrier = ContinuousClock.now
                }
                continue
            }
            var fds = [
                pollfd(fd: fd, events: Int16(POLLIN) | (pending > 0 && isUrgent ? Int16(POLLOUT) : 0), revents: 0),
                pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
            ]
            let flushMs = max(1, Int32(configuration.flushInterval.components.attoseconds / 1_000_000_000_000_000))
            let timeout: Int32 = pending > 0 ? (isUrgent ? -1 : flushMs) : 100
            let n = poll(&fds, 2, timeout)
            if n < 0, errno != EINTR { break }
            if fds[1].revents & Int16(POLLIN) != 0 {
                drainWake()
            }
            if n == 0, pending > 0 {
                condition.withLock { urgent = true }  // the flush interval is over
            }
            var broken = fds[0].revents & (Int16(POLLERR) | Int16(POLLHUP) | Int16(POLLNVAL)) != 0
            if fds[0].revents & Int16(POLLIN) != 0 || broken {
                let r = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if r > 0 {
                    readBuffer.append(contentsOf: chunk[..<r])
                    handleLines(&readBuffer)
                    broken = false
                } else if r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                    broken = true
                } else {
                    broken = false
                }
            }
            if !broken, fds[0].revents & Int16(POLLOUT) != 0 {
                broken = !writeSome(fd)
            }
            if broken {
                Glibc.close(fd)
                fd = -1
                condition.withLock {
                    connected = false
                    sent = start
                    condition.broadcast()
                }
            }
        }
        if fd >= 0 { Glibc.close(fd) }
        condition.withLock {
            connected = false
            condition.broadcast()
        }
    }

    /// Writes as much as the socket takes; false when the connection broke.
    private func writeSome(_ fd: Int32) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while sent < buffer.count {
            let n = buffer.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + sent, min(buffer.count - sent, 1 << 20), Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                sent += n
                continue
            }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { break }
            return false
        }
        if sent == buffer.count { urgent = false }
        condition.broadcast()
        return true
    }

    private func handleLines(_ readBuffer: inout [UInt8]) {
        var lineStart = 0
        var acked: Int64 = 0
        var results: [(Completion, Result<JSONValue, JobLogClientError>)] = []
        var events: [(String, JSONValue)] = []
        while let newline = readBuffer[lineStart...].firstIndex(of: 0x0A) {
            let line = Array(readBuffer[lineStart..<newline])
            lineStart = newline + 1
            guard let message = try? ServerMessage.decode(line: line) else { continue }
            switch message {
            case .response(let id, let result):
                guard case .number(let n) = id, let seq = Int64(n) else { continue }
                acked = max(acked, seq)
                if let w = condition.withLock({ waiters.removeValue(forKey: seq) }) {
                    results.append((w.completion, result.mapError { .rpc($0) }))
                }
            case .notification(let method, let params) where method == CancelNotification.method:
                if let handler = condition.withLock({ cancelHandler }) { handler(params) }
            case .notification(let method, let params):
                events.append((method, params))
            case .batch:
                continue
            }
        }
        readBuffer.removeFirst(lineStart)
        if acked > 0 { condition.withLock { acknowledge(upTo: acked) } }
        for (w, r) in results { w(r) }
        if !events.isEmpty, let handler = condition.withLock({ eventHandler }) {
            for (m, p) in events { handler(m, p) }
        }
    }

    /// While unreachable: requests past their deadline fail (their messages stay queued for resending).
    private func expireWaiters() {
        let now = ContinuousClock.now
        let expired = condition.withLock { () -> [Waiter] in
            let gone = waiters.filter { $0.value.deadline <= now }
            for k in gone.keys { waiters.removeValue(forKey: k) }
            return Array(gone.values)
        }
        let path = configuration.socketPath
        let reason = condition.withLock { lastConnectError?.reason ?? "not answering" }
        for w in expired { w.completion(.failure(.daemonUnreachable(socket: path, reason: reason))) }
    }

    /// Milliseconds until the first request's deadline (at least 1), so that it fails on time.
    private func millisecondsToNextDeadline() -> Int {
        let now = ContinuousClock.now
        guard let first = condition.withLock({ waiters.values.map(\.deadline).min() }) else { return Int.max }
        let left = now.duration(to: first).components
        return max(1, Int(left.seconds) * 1000 + Int(left.attoseconds / 1_000_000_000_000_000) + 1)
    }

    private func drainWake() {
        var sink = [UInt8](repeating: 0, count: 256)
        while read(wakeFD, &sink, sink.count) > 0 {}
    }

    private func sleepOrWake(milliseconds: Int) {
        var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 1, Int32(milliseconds)) > 0 { drainWake() }
    }
}
