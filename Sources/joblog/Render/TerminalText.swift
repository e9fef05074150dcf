/// Job data made safe for a terminal: the one helper every renderer uses.
///
/// Any uid that can connect to the daemon can store a job name, stage, message or
/// context; printed raw, `ESC ] 0; … BEL` would retitle the window, `ESC [ 2 J` clear
/// the screen, and a carriage return overwrite what was printed. So control
/// characters (C0, DEL, C1) and the bidirectional overrides are shown as escapes:
/// `\x1b`, `\x07`, `\n`, `\u0085`, `\u202e`. `--raw` turns this off.
enum TerminalText {
    /// `text` with every unsafe character written visibly.
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Lines of `text` (split at newlines, a trailing CR dropped), each made visible.
    static func visibleLines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            visible(line.hasSuffix("\r") ? String(line.dropLast()) : String(line))
        }
    }

    /// True for the characters a terminal may act on: C0 controls, DEL, C1 controls,
    /// and the bidirectional embeddings, overrides and isolates.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            if scalar.value < 0x80 { return "\\x" + String(repeating: "0", count: 2 - hex.count) + hex }
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }
}
