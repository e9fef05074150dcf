#if canImport(Glibc)
    import Glibc
#endif

/// Messages to the service manager over `$NOTIFY_SOCKET`: the `sd_notify` datagram protocol
/// (`READY=1`, `STATUS=…`, `STOPPING=1`, `WATCHDOG=1`), written here so that nothing links
/// libsystemd. A path starting with `@` is an abstract socket.
///
/// Sends never block (`MSG_DONTWAIT`): a manager that does not read loses messages instead of
/// stalling the daemon, which matters because the writer thread sends watchdog pings.
public final class ServiceNotifier: Sendable {
    private let descriptor: Int32
    private let address: [UInt8]

    /// A notifier for `$NOTIFY_SOCKET`, or nil when it is unset or unusable.
    public convenience init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        self.init(path: path)
    }

    /// A notifier sending to the datagram socket at `path` (`@name`: abstract).
    public init?(path: String) {
        var bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") || bytes.first == UInt8(ascii: "@") else { return nil }
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        descriptor = fd
        address = bytes
    }

    deinit { close(descriptor) }

    /// Sends one message (lines `KEY=value`); false when it could not be sent.
    @discardableResult
    public func send(_ message: String) -> Bool {
        var target = sockaddr_un()
        target.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &target.sun_path) { raw in
            for (i, b) in address.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + address.count)
        var payload = Array(message.utf8)
        let sent = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                sendto(descriptor, &payload, payload.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), address, length)
            }
        }
        return sent == payload.count
    }
}
