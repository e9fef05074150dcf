import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Clients that send nothing, stall mid-line, never read, open too many connections or send
/// a 100 MB line: the daemon neither crashes nor grows, and other clients are still served.
@Suite struct MisbehavingClientTests {
    static let ping = #"{"jsonrpc":"2.0","method":"ping","id":"observer"}"#

    /// A ping from a well-behaved client: answered, and how long it took.
    static func observe(_ client: LineClient) throws -> Int {
        let start = Date()
        try client.send(ping)
        let line = try client.readLine() ?? ""
        #expect(line.contains(#""id":"observer""#) && line.contains(#""result""#), "observer got \(line)")
        return Reliability.ms(since: start)
    }

    static func setSendTimeout(_ client: LineClient, seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    @Test func silentAndStalledClientsBlockNobody() throws {
        let daemon = try TestDaemon()
        let silent = try daemon.connect()
        let stalled = try daemon.connect()
        let request = #"{"jsonrpc":"2.0","method":"startRun","params":{"jobName":"stalled"},"id":"half"}"#
        let cut = request.utf8.count / 2
        try stalled.sendBytes(Array(request.utf8.prefix(cut)))
        // Meanwhile a job runs from start to finish on another connection.
        let job = try daemon.connect()
        let id = try job.result("startRun", ["jobName": "meanwhile"])["jobRunId"] as! String
        for i in 0..<100 { try job.notify("info", ["jobRunId": id, "message": "\(i)"]) }
        #expect(try job.result("finishRun", ["jobRunId": id, "status": "SUCCESS"])["outcome"] != nil)
        #expect(try Self.observe(try daemon.connect()) < 2000)
        usleep(500_000)
        // The stalled line completes: it is one request, answered.
        try stalled.sendBytes(Array(request.utf8.dropFirst(cut)) + [0x0A])
        let answer = try stalled.readLine() ?? ""
        #expect(answer.contains(#""id":"half""#) && answer.contains(#""jobRunId""#), "\(answer)")
        // The silent one was never closed and is served when it speaks.
        #expect(try Self.observe(silent) < 2000)
        #expect(daemon.process?.isRunning == true)
    }

    @Test func clientThatNeverReadsIsThrottled() throws {
        let daemon = try TestDaemon()
        let pid = daemon.pid
        let baseline = Reliability.rssMB(pid)
        let greedy = try daemon.connect()
        Self.setSendTimeout(greedy, seconds: 2)
        let count = 200_000
        var lines: [UInt8] = []
        for i in 0..<count { lines += Array(#"{"jsonrpc":"2.0","method":"ping","id":\#(i)}"#.utf8) + [0x0A] }
        // Send without reading until the daemon stops reading (the send times out).
        var sent = 0
        while sent < lines.count {
            let n = lines[sent...].withUnsafeBytes {
                send(greedy.fd, $0.baseAddress, min($0.count, 65536), Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { break }
            sent += n
        }
        #expect(sent < lines.count, "the daemon read all \(lines.count) bytes without the responses being read")
        let stalledRSS = Reliability.rssMB(pid)
        // Others are served while it is stalled.
        let observer = try daemon.connect()
        let observed = try Self.observe(observer)
        let id = try observer.result("startRun", ["jobName": "beside-greedy"])["jobRunId"] as! String
        #expect(try observer.call("info", ["jobRunId": id, "message": "served"])["result"] != nil)
        #expect(stalledRSS - baseline < 64, "RSS grew from \(baseline) MB to \(stalledRSS) MB")
        print(
            "neverReads: daemon read \(sent / 1024) KiB of \(lines.count / 1024) KiB before stopping; RSS \(Reliability.mb(baseline))"
                + " -> \(Reliability.mb(stalledRSS)); observer ping \(observed) ms")
        // Once it reads, every request it sent is answered, in order.
        Self.setSendTimeout(greedy, seconds: 0)
        let rest = Array(lines[sent...])
        let writer = Thread { try? greedy.sendBytes(rest) }
        writer.start()
        var answered = 0
        var inOrder = true
        while answered < count, let line = try greedy.readLine() {
            if !line.hasSuffix(#""id":\#(answered)}"#) { inOrder = false }
            answered += 1
        }
        #expect(answered == count)
        #expect(inOrder, "answers out of order")
        #expect(Reliability.peakRSSMB(pid) - baseline < 64)
    }

    @Test(
        .enabled(
            if: Reliability.raiseFileLimit(to: 8192) >= 2200,
            "RLIMIT_NOFILE cannot be raised to 2,200 descriptors for 2,000 client connections"))
    func connectionsPastTheLimitAreRefused() throws {
        let daemon = try TestDaemon(arguments: ["--max-connections", "1000"])
        let pid = daemon.pid
        // The store opens its reader connections on demand: open them before counting, so that
        // the count after measures connections, not a reader the test happened to need later.
        let warm = try (0..<4).map { _ in try daemon.connect() }
        let run = try warm[0].result("startRun", ["jobName": "warm-up"])["jobRunId"] as? String ?? "0"
        for c in warm { try c.send(#"{"jsonrpc":"2.0","id":1,"method":"getLogs","params":{"jobRunId":"\#(run)"}}"#) }
        for c in warm { _ = try c.readLine() }
        for c in warm { c.close() }
        usleep(200_000)
        let fdsBefore = Reliability.openFDs(pid)
        let observer = try daemon.connect()
        _ = try Self.observe(observer)
        let start = Date()
        var clients: [LineClient] = []
        for _ in 0..<1999 { clients.append(try daemon.connect()) }
        let connectMs = Reliability.ms(since: start)
        // Each accepted one answers a ping; each refused one got one -32006 line and was closed.
        var accepted = 0
        var refused = 0
        for c in clients {
            try? c.send(#"{"jsonrpc":"2.0","method":"ping","id":1}"#)
            let first = try c.readLine() ?? "EOF"
            if first.contains(#""result""#) {
                accepted += 1
            } else if first.contains("-32006"), first.contains(#""maxConnections":1000"#), first.contains(#""id":null"#)
            {
                refused += 1
                #expect(try c.readLine() == nil, "a refused connection is closed")
            } else {
                Issue.record("unexpected answer: \(first)")
            }
        }
        #expect(accepted == 999)
        #expect(refused == 1000)
        #expect(try Self.observe(observer) < 2000)
        let fdsOpen = Reliability.openFDs(pid)
        let rss = Reliability.rssMB(pid)
        for c in clients { c.close() }
        observer.close()
        // Closed connections are released: a new one is accepted and no descriptor leaks.
        var fresh: Int?
        for _ in 0..<50 {
            if let c = try? daemon.connect(), (try? c.call("ping"))?["result"] != nil {
                fresh = 1
                break
            }
            usleep(100_000)
        }
        #expect(fresh != nil, "no connection accepted after the others closed")
        var fdsAfter = Reliability.openFDs(pid)
        for _ in 0..<50 where fdsAfter > fdsBefore + 2 {
            usleep(100_000)
            fdsAfter = Reliability.openFDs(pid)
        }
        #expect(fdsAfter <= fdsBefore + 2, "descriptors: \(fdsBefore) before, \(fdsAfter) after")
        print(
            "tooManyConnections: 2000 connects in \(connectMs) ms, \(accepted + 1) accepted, \(refused) refused; "
                + "daemon fds \(fdsBefore) -> \(fdsOpen) -> \(fdsAfter), RSS \(Reliability.mb(rss))")
    }

    /// Fewer descriptors than `--max-connections` needs: the daemon accepts what fits and refuses
    /// the rest with `-32006`, rather than leaving them waiting unanswered in the listen backlog.
    @Test func connectionsPastTheDescriptorLimitAreRefused() throws {
        let daemon = try TestDaemon(arguments: ["--max-connections", "1000"], preamble: "ulimit -n 256")
        let warning = daemon.daemonLog().split(separator: "\n").filter { $0.contains("too few file descriptors") }
        #expect(warning.count == 1)
        #expect(warning.first?.contains("accepting=192") == true, "\(warning)")
        var clients: [LineClient] = []
        for _ in 0..<400 { clients.append(try LineClient(path: daemon.socketPath, timeoutSeconds: 5)) }
        var accepted = 0
        var refused = 0
        for c in clients {
            try? c.send(#"{"jsonrpc":"2.0","method":"ping","id":1}"#)
            let first = (try? c.readLine()) ?? "no answer"
            if first.contains(#""result""#) {
                accepted += 1
            } else if first.contains("-32006") {
                refused += 1
            } else {
                Issue.record("unexpected answer: \(first)")
            }
        }
        #expect(accepted == 192)
        #expect(refused == 400 - 192)
        for c in clients { c.close() }
        #expect(daemon.process?.isRunning == true)
        print("descriptorLimit: ulimit -n 256, 400 connections: \(accepted) accepted, \(refused) refused")
    }

    @Test func hundredMegabyteLine() throws {
        let daemon = try TestDaemon()
        let pid = daemon.pid
        let baseline = Reliability.peakRSSMB(pid)
        let observer = try daemon.connect()
        let huge = try daemon.connect()
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let start = Date()
        var slowest = 0
        for i in 0..<100 {
            try huge.sendBytes(chunk)
            if i % 10 == 0 { slowest = max(slowest, try Self.observe(observer)) }
        }
        try huge.sendBytes([0x0A] + Array(#"{"jsonrpc":"2.0","method":"ping","id":"after"}"#.utf8) + [0x0A])
        let first = try huge.readLine() ?? ""
        #expect(first.contains("-32004") && first.contains(#""id":null"#), "\(first)")
        #expect(try huge.readLine()?.contains(#""id":"after""#) == true, "the connection is usable after it")
        let elapsed = Reliability.ms(since: start)
        let peak = Reliability.peakRSSMB(pid)
        #expect(peak - baseline < 64, "peak RSS grew from \(baseline) MB to \(peak) MB")
        #expect(slowest < 2000)
        print(
            "hugeLine: 100 MiB line refused in \(elapsed) ms, peak RSS \(Reliability.mb(baseline)) -> \(Reliability.mb(peak)), slowest ping \(slowest) ms"
        )
    }
}
