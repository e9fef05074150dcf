#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP access token: read from its file, or created there (32 random bytes as hex, mode 0600)
/// the first time, like the socket's 0600 keeps other local users out.
public struct AccessToken: Sendable, Equatable {
    public let value: String

    public init(_ value: String) { self.value = value }

    /// Reads the token file, creating it (and its directory) when it does not exist.
    public static func loadOrCreate(path: String) throws -> AccessToken {
        do {
            if let bytes = try PlainFile.read(path) {
                let text = String(decoding: trimmed(bytes), as: UTF8.self)
                guard text.utf8.count >= 16 else {
                    throw AccessTokenError(path: path, reason: "shorter than 16 characters")
                }
                return AccessToken(text)
            }
            var rng = SystemRandomNumberGenerator()
            let hex = hexDigits((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
            try PlainFile.makeParentDirectories(of: path)
            try PlainFile.create(path, mode: 0o600, bytes: hex + [0x0A])
            return AccessToken(String(decoding: hex, as: UTF8.self))
        } catch let error as PlainFileError {
            throw AccessTokenError(path: path, reason: String(cString: strerror(error.errno)))
        }
    }

    /// Compares in time that depends only on the lengths, not on where the first difference is.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let a = Array(value.utf8)
        let b = Array(candidate.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<b.count { diff |= b[i] ^ (i < a.count ? a[i] : 0) }
        return diff == 0
    }

    /// Lowercase hex, two digits a byte.
    static func hexDigits(_ bytes: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }

    /// The bytes without leading and trailing ASCII whitespace.
    private static func trimmed(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        let space: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        guard let first = bytes.firstIndex(where: { !space($0) }) else { return [] }
        let last = bytes.lastIndex(where: { !space($0) })!
        return bytes[first...last]
    }
}

/// The token file could not be read or created.
public struct AccessTokenError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "http token file \(path): \(reason)" }
}
