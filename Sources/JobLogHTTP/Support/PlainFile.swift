#if canImport(Glibc)
    import Glibc
#endif

/// Small files (the access token, the port file) read and written with the C library: the
/// HTTP service keeps Foundation's file and string machinery out of a daemon that only needs a
/// line of text (each part of the binary a daemon runs stays resident while it idles).
enum PlainFile {
    /// The bytes of the file at `path`; nil when it does not exist. A file of more than `limit`
    /// bytes is refused (`EFBIG`), never cut short.
    static func read(_ path: String, limit: Int = 4096) throws(PlainFileError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw PlainFileError(path: path, errno: errno)
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count <= limit {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, limit + 1 - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw PlainFileError(path: path, errno: errno) }
            if n == 0 { break }
            count += n
        }
        guard count <= limit else { throw PlainFileError(path: path, errno: EFBIG) }
        return Array(bytes[..<count])
    }

    /// Creates `path` with `mode`, failing when something is already there (`O_EXCL`: never
    /// following or reusing a file someone else put there), and writes `bytes`.
    static func create(_ path: String, mode: mode_t, bytes: [UInt8]) throws(PlainFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw PlainFileError(path: path, errno: errno) }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
    }

    /// Replaces `path` with `bytes` at once: written beside it, then renamed over it, so a reader
    /// sees the old file or the whole new one.
    static func replace(_ path: String, bytes: [UInt8]) throws(PlainFileError) {
        let temporary = path + ".tmp\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PlainFileError(path: temporary, errno: errno) }
        do {
            try writeAll(fd, bytes, path: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = PlainFileError(path: path, errno: errno)
            unlink(temporary)
            throw error
        }
    }

    /// Creates the directory holding `path` and its parents (mode 0700 for the ones it makes).
    static func makeParentDirectories(of path: String) throws(PlainFileError) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        var prefix = ""
        for (index, part) in parts.enumerated() {
            prefix += index == 0 ? String(part) : "/" + part
            guard !part.isEmpty, part != "." else { continue }
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw PlainFileError(path: prefix, errno: errno) }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(PlainFileError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw PlainFileError(path: path, errno: n < 0 ? errno : EIO) }
            done += n
        }
    }
}

/// A file operation failed: the path and the system's reason.
struct PlainFileError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
