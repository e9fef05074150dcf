import Foundation
import NIOCore

/// Rows in the text format of `COPY … FROM STDIN`: columns separated by a tab, rows ended by a
/// newline, `\N` for null, and a backslash before the characters that would end a value
/// (backslash, tab, newline, carriage return).
struct CopyText {
    private(set) var buffer: ByteBuffer

    init(capacity: Int = 1 << 20) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    private static let tab = UInt8(ascii: "\t")
    private static let newline = UInt8(ascii: "\n")
    private static let backslash = UInt8(ascii: "\\")
    private static let hex = Array("0123456789abcdef".utf8)
    /// U+FFFD in UTF-8: what U+0000 becomes in a PostgreSQL `text` column.
    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Starts the next column of a row (`first` for its first one).
    mutating func separator(first: Bool) {
        if !first { buffer.writeInteger(Self.tab) }
    }

    mutating func endRow() {
        buffer.writeInteger(Self.newline)
    }

    mutating func null() {
        buffer.writeStaticString("\\N")
    }

    mutating func integer(_ value: Int64) {
        buffer.writeString(String(value))
    }

    mutating func boolean(_ value: Bool) {
        buffer.writeInteger(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// A `text` value from SQLite's bytes: valid UTF-8 as is (U+0000 as U+FFFD); anything else
    /// decoded with replacement characters first, since PostgreSQL refuses invalid UTF-8.
    mutating func text(_ bytes: Data) {
        bytes.withUnsafeBytes { raw in
            if raw.contains(where: { $0 >= 0x80 }), String(validating: raw, as: UTF8.self) == nil {
                var repaired = String(decoding: raw, as: UTF8.self)
                repaired.withUTF8 { escaped(UnsafeRawBufferPointer($0)) }
            } else {
                escaped(raw)
            }
        }
    }

    /// A `bytea` value: `\\x` and the bytes in hex (the backslash itself escaped).
    mutating func bytes(_ bytes: Data) {
        buffer.writeStaticString("\\\\x")
        bytes.withUnsafeBytes { raw in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: raw.count * 2) { out in
                Self.hex.withUnsafeBufferPointer { digits in
                    for (i, byte) in raw.enumerated() {
                        out[2 * i] = digits[Int(byte >> 4)]
                        out[2 * i + 1] = digits[Int(byte & 0x0F)]
                    }
                }
                return raw.count * 2
            }
        }
    }

    /// The bytes with the text format's escapes, and U+0000 as U+FFFD.
    private mutating func escaped(_ bytes: UnsafeRawBufferPointer) {
        var start = 0
        for index in 0..<bytes.count {
            let escape: UInt8
            switch bytes[index] {
            case Self.backslash: escape = Self.backslash
            case Self.tab: escape = UInt8(ascii: "t")
            case Self.newline: escape = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escape = UInt8(ascii: "r")
            case 0: escape = 0
            default: continue
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            if escape == 0 {
                buffer.writeBytes(Self.replacement)
            } else {
                buffer.writeInteger(Self.backslash)
                buffer.writeInteger(escape)
            }
            start = index + 1
        }
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
    }
}
