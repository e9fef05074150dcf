import NIOCore

/// Rows in the text format of `COPY … FROM STDIN`: columns separated by a tab, rows ended by a
/// newline, `\N` for null, and a backslash before the characters that would end a value
/// (backslash, tab, newline, carriage return).
///
/// Written into memory of its own with plain stores (one `ByteBuffer` per batch at the end):
/// a `ByteBuffer` call per value cost most of a copy's time in a debug build.
final class CopyText {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    init(capacity: Int = 1 << 20) {
        self.capacity = max(capacity, 64)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 1)
    }

    deinit { base.deallocate() }

    /// The rows written, in a buffer of their own.
    var buffer: ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        buffer.writeBytes(UnsafeRawBufferPointer(start: base, count: count))
        return buffer
    }

    private static let tab = UInt8(ascii: "\t")
    private static let newline = UInt8(ascii: "\n")
    private static let backslash = UInt8(ascii: "\\")
    private static let hex = Array("0123456789abcdef".utf8)

    /// Room for `more` bytes past ``count``.
    private func reserve(_ more: Int) {
        guard count + more > capacity else { return }
        var grown = capacity * 2
        while count + more > grown { grown *= 2 }
        let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 1)
        moved.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = moved
        capacity = grown
    }

    private func byte(_ value: UInt8) {
        reserve(1)
        base.storeBytes(of: value, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    private func raw(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: start, byteCount: bytes.count)
        count += bytes.count
    }

    /// Starts the next column of a row (`first` for its first one).
    func separator(first: Bool) {
        if !first { byte(Self.tab) }
    }

    func endRow() {
        byte(Self.newline)
    }

    func null() {
        byte(Self.backslash)
        byte(UInt8(ascii: "N"))
    }

    /// A decimal integer, digits written in place.
    func integer(_ value: Int64) {
        reserve(20)
        var magnitude = value.magnitude
        if value < 0 { byte(UInt8(ascii: "-")) }
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var position = count + digits - 1
        repeat {
            base.storeBytes(of: UInt8(ascii: "0") + UInt8(magnitude % 10), toByteOffset: position, as: UInt8.self)
            magnitude /= 10
            position -= 1
        } while magnitude > 0
        count += digits
    }

    func boolean(_ value: Bool) {
        byte(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// A `text` value from SQLite's bytes: valid UTF-8 as is (U+0000 as U+FFFD); anything else
    /// decoded with replacement characters first, since PostgreSQL refuses invalid UTF-8.
    func text(_ bytes: UnsafeRawBufferPointer) {
        if String(validating: bytes, as: UTF8.self) == nil {
            var repaired = String(decoding: bytes, as: UTF8.self)
            repaired.withUTF8 { escaped(UnsafeRawBufferPointer($0)) }
        } else {
            escaped(bytes)
        }
    }

    /// A `bytea` value: `\\x` and the bytes in hex (the backslash itself escaped).
    func bytes(_ bytes: UnsafeRawBufferPointer) {
        reserve(4 + bytes.count * 2)
        for value in [Self.backslash, Self.backslash, UInt8(ascii: "x")] { byte(value) }
        Self.hex.withUnsafeBufferPointer { digits in
            for (i, value) in bytes.enumerated() {
                base.storeBytes(of: digits[Int(value >> 4)], toByteOffset: count + 2 * i, as: UInt8.self)
                base.storeBytes(of: digits[Int(value & 0x0F)], toByteOffset: count + 2 * i + 1, as: UInt8.self)
            }
        }
        count += bytes.count * 2
    }

    /// The bytes with the text format's escapes, and U+0000 as U+FFFD.
    private func escaped(_ bytes: UnsafeRawBufferPointer) {
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
            raw(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            if escape == 0 {
                // U+FFFD in UTF-8.
                for value: UInt8 in [0xEF, 0xBF, 0xBD] { byte(value) }
            } else {
                byte(Self.backslash)
                byte(escape)
            }
            start = index + 1
        }
        raw(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
    }
}
