#if canImport(Glibc)
    import Glibc
#endif

/// Why a Unix socket could not be connected.
public struct UnixSocketError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let errno: Int32

    public var description: String { "cannot connect to \(path): \(reason)" }

    /// Why, in a few words: `no such file`, `not a socket`, `nobody listening`, ...
    public var reason: String { Self.reason(errno) }

    /// The words for a `connect(2)` errno.
    public static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case ENOTDIR: "no such directory"
        case ECONNREFUSED: "nobody listening"
        case ENOTSOCK, EPROTOTYPE: "not a socket"
        case EACCES, EPERM: "permission denied"
        case ENAMETOOLONG: "path too long"
        case EAGAIN: "too many connections waiting"
        default: String(cString: strerror(code))
        }
    }
}

/// Connecting a Unix stream socket: the one copy used by the client, the benchmark and the tests.
public enum UnixSocket {
    /// A connected socket (close-on-exec; non-blocking when asked).
    public static func connect(_ path: String, nonBlocking: Bool = false) throws(UnixSocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw UnixSocketError(path: path, errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw UnixSocketError(path: path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            var failure = errno
            close(fd)
            // Linux refuses a connection to a file that is not a socket as to a socket nobody listens on.
            var info = stat()
            if failure == ECONNREFUSED, stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFSOCK { failure = ENOTSOCK }
            throw UnixSocketError(path: path, errno: failure)
        }
        if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return fd
    }
}
