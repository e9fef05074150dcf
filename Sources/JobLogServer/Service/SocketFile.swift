#if canImport(Glibc)
    import Glibc
#endif

/// Why the server cannot take the socket path.
public struct SocketFileError: Error, CustomStringConvertible {
    public let description: String
}

/// Checks the socket path before binding: refuses a path where a live daemon
/// answers (or that is not a socket), removes a stale socket file.
enum SocketFile {
    /// Which file a path names now: device, inode and change time. The inode alone is not enough:
    /// once a socket file is unlinked, its inode number is free, and the next socket bound at the path
    /// (another daemon's) may get the very same number.
    struct Identity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var changedSeconds: Int
        var changedNanoseconds: Int
    }

    /// The identity of the socket at `path`; nil when there is none (or the path is not a socket).
    static func identity(_ path: String) -> Identity? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return nil }
        return Identity(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), changedSeconds: Int(st.st_ctim.tv_sec),
            changedNanoseconds: Int(st.st_ctim.tv_nsec))
    }

    static func prepare(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else {
            throw SocketFileError(
                description: "\(path) exists and is not a socket; remove it or choose another --socket")
        }
        if answers(path) {
            throw SocketFileError(
                description: "another joblogd is already serving \(path); stop it first or choose another --socket")
        }
        unlink(path)
    }

    /// A listening socket bound at `path` with permission bits `mode` (no moment with wider
    /// ones: the umask is narrowed while binding). Bound here, not by NIO, because NIO removes
    /// the path when it closes a listener it bound, even when the path has become another's.
    ///
    /// Returns the descriptor and the socket file's identity, taken before `listen`: no client can
    /// connect (and then remove the file) before the daemon knows which file is its own.
    static func listen(_ path: String, mode: UInt32, backlog: Int32 = 512) throws -> (fd: Int32, identity: Identity?) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketFileError(description: "socket(): \(String(cString: strerror(errno)))") }
        guard var address = Self.address(path) else {
            close(fd)
            throw SocketFileError(description: "the socket path \(path) is too long (at most 107 bytes)")
        }
        let oldMask = umask(0o177)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let bindErrno = errno
        umask(oldMask)
        guard rc == 0 else {
            close(fd)
            throw SocketFileError(description: "cannot bind \(path): \(String(cString: strerror(bindErrno)))")
        }
        chmod(path, mode_t(mode))
        let created = identity(path)
        guard Glibc.listen(fd, backlog) == 0 else {
            let e = errno
            close(fd)
            unlink(path)
            throw SocketFileError(description: "cannot listen on \(path): \(String(cString: strerror(e)))")
        }
        return (fd, created)
    }

    /// True when something accepts connections on the socket.
    static func answers(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard var address = Self.address(path) else { return false }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return rc == 0
    }

    /// The `sockaddr_un` of `path`; nil when the path does not fit.
    private static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return address
    }
}
