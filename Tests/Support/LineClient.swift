import Foundation
import JobLogClient

#if canImport(Glibc)
    import Glibc
#endif

/// A plain blocking Unix-socket client that sends raw lines and reads lines,
/// as `socat` or a hand-written client would.
public final class LineClient: @unchecked Sendable {
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1000
    private var closed = false

    public init(path: String, timeoutSeconds: Int = 20) throws {
        do {
            fd = try UnixSocket.connect(path)
        } catch {
            closed = true
            fd = -1
            throw TestFailure(error.description)
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ text: String) throws { try sendBytes(Array(text.utf8) + [0x0A]) }

    public func sendBytes(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// The next line, without its newline; nil at EOF.
    public func readLine() throws -> String? {
        // Bytes of `buffer` already searched for a newline: a long line is scanned once, not once per chunk.
        var scanned = 0
        while true {
            if let i = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<i], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return line
            }
            scanned = buffer.count
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return nil }
            guard n > 0 else { throw TestFailure("recv failed or timed out: errno \(errno)") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// Sends a request and parses its response line.
    public func call(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["jsonrpc": "2.0", "method": method, "id": nextID]
        if !params.isEmpty { message["params"] = params }
        try send(String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self))
        guard let line = try readLine() else { throw TestFailure("EOF waiting for \(method)") }
        guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("not an object: \(line)")
        }
        return obj
    }

    /// The `result` of a request, failing on an error response.
    public func result(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        let response = try call(method, params)
        guard let result = response["result"] as? [String: Any] else {
            throw TestFailure("\(method) failed: \(response)")
        }
        return result
    }

    /// Sends a notification.
    public func notify(_ method: String, _ params: [String: Any]) throws {
        let message: [String: Any] = ["jsonrpc": "2.0", "method": method, "params": params]
        try send(String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self))
    }

    /// Half-close: no more writes from this side.
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    public func close() {
        if !closed { Glibc.close(fd) }
        closed = true
    }

    deinit { close() }
}
