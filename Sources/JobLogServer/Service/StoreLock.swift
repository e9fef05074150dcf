import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One daemon per SQLite store: an exclusive `flock` on `<database>.lock`, held for the
/// process's life and released by the kernel when it exits (even by `kill -9`).
///
/// Two daemons writing one file each keep their own in-memory run states and overwrite
/// each other's counters, so the second daemon refuses to start, naming the first one's pid
/// and socket (written into the lock file by the holder). The lock file is never removed:
/// unlinking a locked file would let a third daemon lock a new file of the same name.
public final class StoreLock: Sendable {
    /// Why the lock was not taken.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let fd: Int32
    /// The lock file's path.
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Takes the lock for the database at `databasePath`, recording `socketPath` as the holder's socket.
    /// Returns nil (and takes no lock) when the lock file cannot be created, e.g. in a read-only directory
    /// that holds a database served read-only: no second daemon can write there either.
    public static func acquire(databasePath: String, socketPath: String) throws(Failure) -> StoreLock? {
        let path = databasePath + ".lock"
        var fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 {
            let reason = errno
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if reason == EACCES || reason == EROFS || reason == ENOENT { return nil }
                throw Failure(description: "cannot open the lock file \(path): \(String(cString: strerror(reason)))")
            }
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            let holder = Self.holder(fd)
            close(fd)
            if reason == EWOULDBLOCK {
                throw Failure(
                    description: "another joblogd\(holder) already serves the database \(databasePath); "
                        + "stop it first, or give this one another --db")
            }
            throw Failure(description: "cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        let line = Array("pid \(getpid()) socket \(socketPath)\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = line.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        return StoreLock(fd: fd, path: path)
    }

    /// " (pid N, socket S)" from the holder's lock file, or "" when it cannot be read.
    private static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return "" }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        guard text.hasPrefix("pid "), let marker = text.range(of: " socket ") else { return "" }
        let pid = text[text.index(text.startIndex, offsetBy: 4)..<marker.lowerBound]
        let socket = text[marker.upperBound...].prefix { $0 != "\n" }
        return " (pid \(pid), socket \(socket))"
    }
}
