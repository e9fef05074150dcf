/// Cuts a byte stream into lines (without `\n`, and without a `\r` before it).
///
/// A line longer than `maxBytes` is cut into pieces of at most that size, so that
/// each piece fits in one log entry.
struct LineSplitter {
    let maxBytes: Int
    private var pending: [UInt8] = []

    init(maxBytes: Int = 60_000) { self.maxBytes = maxBytes }

    /// Adds bytes; returns the lines they complete.
    mutating func append(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == 0x0A {
                lines.append(Self.trimmed(pending))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count >= maxBytes {
                    lines.append(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        return lines
    }

    /// The last line when the stream ended without a newline.
    mutating func finish() -> [UInt8]? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : Self.trimmed(pending)
    }

    private static func trimmed(_ line: [UInt8]) -> [UInt8] {
        line.last == 0x0D ? Array(line.dropLast()) : line
    }
}
