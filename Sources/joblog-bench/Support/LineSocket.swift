import Foundation
import JobLogClient

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking Unix-socket line client, as cheap as a client can be: the baseline and the load generator.
final class LineSocket: @unchecked Sendable {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0

    init(path: String, session: Bool = LineSocket.sessions) throws {
        do {
            fd = try UnixSocket.connect(path)
        } catch {
            throw BenchError(error.description)
        }
        // `JOBLOG_BENCH_SESSIONS=1`: every connection is a client session (`hello`), as the
        // Swift, Python and C clients' are, so the figures include the sessions' cost.
        if session {
            let session = "bench-" + UUID().uuidString
            let answer = try call(#"{"jsonrpc":"2.0","method":"hello","params":{"session":"\#(session)"},"id":0}"#)
            guard answer.contains("\"applied\"") else { throw BenchError("hello: \(answer)") }
        }
    }

    static let sessions = ProcessInfo.processInfo.environment["JOBLOG_BENCH_SESSIONS"] == "1"

    deinit { Glibc.close(fd) }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw BenchError("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads one line; returns its length (the bytes are not kept).
    @discardableResult
    func readLine() throws -> Int {
        var length = 0
        while true {
            while start < end {
                let b = buffer[start]
                start += 1
                if b == 0x0A { return length }
                length += 1
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw BenchError("connection closed") }
            start = 0
            end = n
        }
    }

    /// Reads one line and returns it.
    func readLineText() throws -> String {
        var out: [UInt8] = []
        while true {
            while start < end {
                let b = buffer[start]
                start += 1
                if b == 0x0A { return String(decoding: out, as: UTF8.self) }
                out.append(b)
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw BenchError("connection closed") }
            start = 0
            end = n
        }
    }

    /// Sends a request line and returns the response line.
    func call(_ line: String) throws -> String {
        try write(Array((line + "\n").utf8))
        return try readLineText()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Monotonic seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Percentile of sorted values.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Runs `body` on `n` threads at once and waits for all.
func parallel(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<n {
        group.enter()
        Thread.detachNewThread {
            body(i)
            group.leave()
        }
    }
    group.wait()
}
