import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking loopback TCP client for the HTTP scenario: keep-alive `GET`s with
/// `Content-Length` bodies, and a WebSocket that watches and discards what it reads.
final class TCPClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            Glibc.close(fd)
            throw BenchError("cannot connect to 127.0.0.1:\(port)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { Glibc.close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw BenchError("send failed: errno \(errno)") }
            offset += n
        }
    }

    private func fill() throws {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw BenchError("connection closed") }
        pending += buffer[0..<n]
    }

    /// One `GET` on this keep-alive connection; returns the status and the body.
    func get(_ path: String, token: String?) throws -> (status: Int, body: [UInt8]) {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        try send(Array((request + "\r\n").utf8))
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let r = pending.firstRange(of: separator) { headEnd = r.upperBound } else { try fill() }
        }
        let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "0") ?? 0
        var length = 0
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "0") ?? 0
        }
        while pending.count < headEnd! + length { try fill() }
        let body = Array(pending[headEnd!..<(headEnd! + length)])
        pending.removeFirst(headEnd! + length)
        return (status, body)
    }

    /// Upgrades to a WebSocket on `path` and sends one text message (masked, as a client must).
    func webSocket(_ path: String, token: String, send message: String) throws {
        let request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Authorization: Bearer \(token)\r\n\r\n"
        try send(Array(request.utf8))
        let separator: [UInt8] = [13, 10, 13, 10]
        while pending.firstRange(of: separator) == nil { try fill() }
        guard String(decoding: pending.prefix(12), as: UTF8.self).hasSuffix("101") else {
            throw BenchError("no WebSocket upgrade: \(String(decoding: pending.prefix(80), as: UTF8.self))")
        }
        let payload = Array(message.utf8)
        precondition(payload.count < 126)
        let mask: [UInt8] = [1, 2, 3, 4]
        var frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count)] + mask
        for (i, b) in payload.enumerated() { frame.append(b ^ mask[i % 4]) }
        try send(frame)
    }

    /// Reads and discards until the connection ends; returns the bytes read.
    @discardableResult
    func discard(while running: () -> Bool) -> Int {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while running() {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            total += n
        }
        return total
    }
}
