#if canImport(Glibc)
    import Glibc
#endif

/// Listening sockets passed by a service manager: systemd's socket activation, or
/// `systemd-socket-activate` (the `sd_listen_fds` protocol, read here without libsystemd).
///
/// `LISTEN_PID` must be this process (the variables are meant for it, not inherited by
/// mistake), `LISTEN_FDS` counts descriptors from 3, and the optional `LISTEN_FDNAMES`
/// names them, colon-separated, after each socket unit's `FileDescriptorName=`.
/// A listener takes its descriptor by name: ``jsonRPCName`` for the JSON-RPC socket, and
/// another listener (the HTTP one: `http`) calls ``socket(named:)`` with its own name.
public struct SocketActivation: Sendable {
    /// One passed descriptor.
    public struct Passed: Sendable, Equatable {
        public let descriptor: Int32
        /// Its `FileDescriptorName=`; `unknown` when the manager gave no names.
        public let name: String
    }

    /// The name of the JSON-RPC socket (`FileDescriptorName=jsonrpc`).
    public static let jsonRPCName = "jsonrpc"
    /// Names that belong to other listeners: never taken as the JSON-RPC socket.
    public static let otherListenerNames: Set<String> = ["http"]
    /// The first passed descriptor (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3

    /// What was passed, in order.
    public let passed: [Passed]

    /// The passed sockets, or nil when this process was not socket-activated. Marks them
    /// close-on-exec (children must not hold the daemon's listeners open).
    public init?(environment: [String: String], pid: Int32 = getpid()) {
        guard let pidText = environment["LISTEN_PID"], Int32(pidText) == pid,
            let countText = environment["LISTEN_FDS"], let count = Int32(countText), count > 0, count < 1024
        else { return nil }
        let names = environment["LISTEN_FDNAMES"].map { $0.split(separator: ":", omittingEmptySubsequences: false) }
        passed = (0..<count).map { i in
            let fd = Self.firstDescriptor + i
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let name = names.flatMap { Int(i) < $0.count ? String($0[Int(i)]) : nil } ?? "unknown"
            return Passed(descriptor: fd, name: name)
        }
    }

    /// The descriptor passed under `name`, if it is a listening stream socket.
    public func socket(named name: String) -> Int32? {
        passed.first { $0.name == name && Self.isListeningStream($0.descriptor) }?.descriptor
    }

    /// The JSON-RPC socket: the one named ``jsonRPCName``, else the first listening Unix
    /// stream socket not named for another listener (so a unit without names works too).
    public func jsonRPCSocket() -> Int32? {
        if let named = socket(named: Self.jsonRPCName) { return named }
        return passed.first {
            !Self.otherListenerNames.contains($0.name) && Self.isListeningStream($0.descriptor)
                && Self.family($0.descriptor) == AF_UNIX
        }?.descriptor
    }

    /// The file system path a Unix socket is bound to ("" for an unnamed or abstract one).
    public static func path(of descriptor: Int32) -> String {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard rc == 0, address.sun_family == sa_family_t(AF_UNIX) else { return "" }
        return withUnsafeBytes(of: address.sun_path) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func isListeningStream(_ fd: Int32) -> Bool {
        intOption(fd, SO_TYPE) == Int32(SOCK_STREAM.rawValue) && intOption(fd, SO_ACCEPTCONN) == 1
    }

    static func family(_ fd: Int32) -> Int32 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return rc == 0 ? Int32(storage.ss_family) : -1
    }

    private static func intOption(_ fd: Int32, _ option: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, option, &value, &length) == 0 ? value : nil
    }
}
