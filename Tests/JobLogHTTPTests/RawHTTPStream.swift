import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection to a live test server, for reading a response that never ends
/// (an event stream) as it arrives.
final class RawHTTPStream {
    let fd: Int32
    private(set) var received: [UInt8] = []

    init(port: Int, request: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else { throw POSIXError(.ECONNREFUSED) }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(fd) }

    /// Sends more bytes on the connection (a WebSocket frame after the upgrade).
    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// A client's WebSocket text frame (masked, as RFC 6455 requires of clients); short payloads only.
    static func maskedTextFrame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        let mask: [UInt8] = [0x11, 0x22, 0x33, 0x44]
        return [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $1 ^ mask[$0 % 4] }
    }

    /// Whether the peer has closed the connection (read returns end of file within `seconds`).
    func closedByPeer(within seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received += buffer[0..<n] } else if n == 0 { return true }
        }
        return false
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// Reads until `done(text)` holds or `seconds` pass; returns whether it held.
    func read(upTo seconds: Double = 10, until done: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            if done(text) { return true }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received += buffer[0..<n] } else if n == 0 { break }
        }
        return done(text)
    }

    static func get(_ path: String, headers: [String: String] = [:]) -> String {
        var r = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (k, v) in headers { r += "\(k): \(v)\r\n" }
        return r + "\r\n"
    }
}
