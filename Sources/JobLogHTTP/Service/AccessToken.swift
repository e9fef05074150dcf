import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP access token: read from its file, or created there (32 random bytes as hex, mode 0600)
/// the first time, like the socket's 0600 keeps other local users out.
public struct AccessToken: Sendable, Equatable {
    public let value: String

    public init(_ value: String) { self.value = value }

    /// Reads the token file, creating it when it does not exist.
    public static func loadOrCreate(path: String) throws -> AccessToken {
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count >= 16 else { throw AccessTokenError(path: path, reason: "shorter than 16 characters") }
            return AccessToken(text)
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        // O_EXCL: never follow or reuse a file someone else put there meanwhile.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AccessTokenError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let line = Array((hex + "\n").utf8)
        guard write(fd, line, line.count) == line.count else {
            throw AccessTokenError(path: path, reason: "short write")
        }
        return AccessToken(hex)
    }

    /// Compares in time that depends only on the lengths, not on where the first difference is.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let a = Array(value.utf8)
        let b = Array(candidate.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<b.count { diff |= b[i] ^ (i < a.count ? a[i] : 0) }
        return diff == 0
    }
}

/// The token file could not be read or created.
public struct AccessTokenError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "http token file \(path): \(reason)" }
}
