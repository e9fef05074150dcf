import Foundation
import JobLogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The service manager's side of `NOTIFY_SOCKET`: a datagram socket the daemon sends
/// `READY=1`, `STATUS=…`, `STOPPING=1` and `WATCHDOG=1` to.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32

    struct Message {
        let text: String
        let at: Date
        var fields: [String] { text.split(separator: "\n").map(String.init) }
    }

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, rc == 0 else { throw TestFailure("cannot bind \(path): errno \(errno)") }
    }

    /// The next datagram, or nil after `timeout` seconds.
    func receive(timeout: Double) -> Message? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Message(text: String(decoding: buffer[..<n], as: UTF8.self), at: Date())
    }

    /// Every datagram until `seconds` have passed.
    func collect(for seconds: Double) -> [Message] {
        var all: [Message] = []
        let end = Date().addingTimeInterval(seconds)
        while true {
            let left = end.timeIntervalSinceNow
            if left <= 0 { break }
            if let m = receive(timeout: left) { all.append(m) }
        }
        return all
    }

    /// Datagrams until one has `field` (that one last), or nil after `timeout` seconds.
    func waitFor(_ field: String, timeout: Double) -> [Message]? {
        var seen: [Message] = []
        let end = Date().addingTimeInterval(timeout)
        while end.timeIntervalSinceNow > 0 {
            guard let m = receive(timeout: end.timeIntervalSinceNow) else { break }
            seen.append(m)
            if m.fields.contains(field) { return seen }
        }
        return nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}
