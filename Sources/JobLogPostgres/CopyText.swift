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
        if String(validating: bytes, as: UTF8.self) != nil {
            escaped(bytes)
        } else {
            escaped(Data(String(decoding: bytes, as: UTF8.self).utf8))
        }
    }

    /// A `bytea` value: `\\x` and the bytes in hex (the backslash itself escaped).
    mutating func bytes(_ bytes: Data) {
        buffer.writeStaticString("\\\\x")
        buffer.reserveCapacity(minimumWritableBytes: bytes.count * 2)
        for byte in bytes {
            buffer.writeInteger(Self.hex[Int(byte >> 4)])
            buffer.writeInteger(Self.hex[Int(byte & 0x0F)])
        }
    }

    private mutating func escaped(_ bytes: Data) {
        buffer.reserveCapacity(minimumWritableBytes: bytes.count)
        var start = bytes.startIndex
        var index = start
        while index < bytes.endIndex {
            let byte = bytes[index]
            let escape: UInt8? =
                switch byte {
                case Self.backslash: Self.backslash
                case Self.tab: UInt8(ascii: "t")
                case Self.newline: UInt8(ascii: "n")
                case UInt8(ascii: "\r"): UInt8(ascii: "r")
                case 0: 0
                default: nil
                }
            if let escape {
                buffer.writeBytes(bytes[start..<index])
                if escape == 0 {
                    buffer.writeBytes(Self.replacement)
                } else {
                    buffer.writeInteger(Self.backslash)
                    buffer.writeInteger(escape)
                }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        buffer.writeBytes(bytes[start..<bytes.endIndex])
    }
}
