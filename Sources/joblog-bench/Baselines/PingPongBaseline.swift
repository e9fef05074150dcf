import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Unix-socket line ping-pong between two plain processes: this binary's
/// `echo-server` (a thread per connection, echoing each line) and a blocking client.
enum PingPongBaseline {
    /// Runs the echo server until killed (the hidden `echo-server` subcommand).
    static func serve(path: String) -> Never {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in Array(path.utf8).enumerated() { raw[i] = b }
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        listen(fd, 128)
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 65536)
                var pending: [UInt8] = []
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    pending.append(contentsOf: buffer[..<n])
                    if let last = pending.lastIndex(of: 0x0A) {
                        let reply = Array(pending[...last])
                        pending.removeFirst(last + 1)
                        _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    }
                }
                close(client)
            }
        }
    }

    /// Starts the echo server as a child process.
    static func start(directory: String) throws -> (Process, String) {
        let path = directory + "/echo.sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        p.arguments = ["echo-server", path]
        try p.run()
        for _ in 0..<2000 {
            if (try? LineSocket(path: path, session: false)) != nil { return (p, path) }
            usleep(1000)
        }
        throw BenchError("echo server did not start")
    }

    /// p50 and p99 round trip in seconds, one client.
    static func latency(path: String, count: Int) throws -> (p50: Double, p99: Double) {
        let s = try LineSocket(path: path, session: false)
        let line = Array((Workload.ping(1) + "\n").utf8)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let t = now()
            try s.write(line)
            try s.readLine()
            samples.append(now() - t)
        }
        samples.sort()
        return (percentile(samples, 0.5), percentile(samples, 0.99))
    }

    /// Round trips per second with `clients` clients at once, `each` round trips each.
    static func throughput(path: String, clients: Int, each: Int, line: (Int) -> String) throws -> Double {
        let sockets = try (0..<clients).map { _ in try LineSocket(path: path, session: false) }
        let lines = (0..<clients).map { Array((line($0) + "\n").utf8) }
        let failures = Counter()
        let t0 = now()
        parallel(clients) { c in
            do {
                for _ in 0..<each {
                    try sockets[c].write(lines[c])
                    try sockets[c].readLine()
                }
            } catch {
                failures.add()
            }
        }
        let elapsed = now() - t0
        if failures.value > 0 { throw BenchError("\(failures.value) clients failed") }
        return Double(clients * each) / elapsed
    }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int = 1) { lock.withLock { n += k } }
    var value: Int { lock.withLock { n } }
}
