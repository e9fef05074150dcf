/// The canonical `incrementProgress` notification, read byte by byte without building a JSON
/// tree: the line a progress loop sends thousands of times a second.
///
/// Recognised only in the exact form clients write it: no whitespace,
/// `{"jsonrpc":"2.0","method":"incrementProgress","params":{…}}` where params holds `jobRunId`
/// (a decimal string or a JSON integer) and optionally `by` and `at` (JSON integers), each once,
/// in any order, and nothing else. Anything else (`null`s, other members, an `id`, fractions,
/// whitespace, 19 digits or more) is left to the full decoder, which gives every line its
/// answer: so a line read here means exactly what the full decoder would make of it
/// (`IncrementLineTests` compares them).
enum IncrementLine {
    private static let head = Array(#"{"jsonrpc":"2.0","method":"incrementProgress","params":{"#.utf8)
    private static let runKey = Array(#""jobRunId":"#.utf8)
    private static let byKey = Array(#""by":"#.utf8)
    private static let atKey = Array(#""at":"#.utf8)

    /// The params of a canonical `incrementProgress` notification; nil for any other line.
    static func parse(_ line: UnsafeRawBufferPointer) -> IncrementProgressParams? {
        guard line.count >= head.count + runKey.count + 3, starts(line, 0, head) else { return nil }
        var i = head.count
        var run: Int64?
        var by: Int64?
        var at: Int64?
        while true {
            if starts(line, i, runKey) {
                guard run == nil else { return nil }
                i += runKey.count
                if i < line.count, line[i] == UInt8(ascii: "\"") {
                    // A decimal string: 1 to 18 digits (leading zeros allowed), at least 1.
                    guard let (v, end) = digits(line, i + 1, leadingZeros: true), end < line.count,
                        line[end] == UInt8(ascii: "\"")
                    else { return nil }
                    run = v
                    i = end + 1
                } else {
                    guard let (v, end) = digits(line, i, leadingZeros: false) else { return nil }
                    run = v
                    i = end
                }
                guard run! >= 1 else { return nil }
            } else if starts(line, i, byKey) {
                guard by == nil, let (v, end) = digits(line, i + byKey.count, leadingZeros: false) else { return nil }
                by = v
                i = end
            } else if starts(line, i, atKey) {
                guard at == nil, let (v, end) = digits(line, i + atKey.count, leadingZeros: false) else { return nil }
                at = v
                i = end
            } else {
                return nil
            }
            guard i < line.count else { return nil }
            if line[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard line.count == i + 2, line[i] == UInt8(ascii: "}"), line[i + 1] == UInt8(ascii: "}") else {
                return nil
            }
            break
        }
        guard let run else { return nil }
        return IncrementProgressParams(jobRunId: run, by: by ?? 1, at: at)
    }

    private static func starts(_ line: UnsafeRawBufferPointer, _ at: Int, _ text: [UInt8]) -> Bool {
        guard at + text.count <= line.count else { return false }
        for k in 0..<text.count where line[at + k] != text[k] { return false }
        return true
    }

    /// 1 to 18 ASCII digits from `at` (a JSON integer unless `leadingZeros`: no leading zero but
    /// for `0` itself); the value and the index after them.
    private static func digits(_ line: UnsafeRawBufferPointer, _ at: Int, leadingZeros: Bool) -> (Int64, Int)? {
        var i = at
        var value: Int64 = 0
        while i < line.count, line[i] >= 0x30, line[i] <= 0x39, i - at < 19 {
            value = value &* 10 &+ Int64(line[i] &- 0x30)
            i += 1
        }
        let count = i - at
        guard count >= 1, count <= 18 else { return nil }
        if !leadingZeros, count > 1, line[at] == 0x30 { return nil }
        return (value, i)
    }
}
