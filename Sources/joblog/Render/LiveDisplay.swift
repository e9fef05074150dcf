/// Lines redrawn in place on a terminal (ANSI cursor movement).
///
/// After each frame the cursor sits at the start of the line below the live lines,
/// so that an interrupted `watch` leaves the screen tidy. Lines are cut to the
/// terminal's width: a wrapped line would break the cursor arithmetic.
struct LiveDisplay {
    private var drawnLines = 0

    /// Prints `permanent` lines once (they stay above) and replaces the live lines with `live`.
    mutating func draw(live: [String], permanent: [String] = []) {
        let width = max(10, Terminal.columns - 1)
        let room = max(1, Terminal.rows - 1)
        var shown = live
        if shown.count > room {
            shown = Array(shown.prefix(room - 1)) + ["… and \(live.count - room + 1) more"]
        }
        var out = ""
        if drawnLines > 0 { out += "\r\u{1B}[\(drawnLines)A" }
        for line in permanent { out += "\u{1B}[2K" + line + "\n" }
        for line in shown { out += "\u{1B}[2K" + Self.fit(line, width) + "\n" }
        out += "\u{1B}[J"
        Console.out(out)
        drawnLines = shown.count
    }

    /// `line` cut to `width` visible characters (escape sequences do not count), colors reset at the end.
    static func fit(_ line: String, _ width: Int) -> String {
        var visible = 0
        var out = ""
        var inEscape = false
        for ch in line {
            if inEscape {
                out.append(ch)
                if ch.isLetter { inEscape = false }
                continue
            }
            if ch == "\u{1B}" {
                inEscape = true
                out.append(ch)
                continue
            }
            guard visible < width else { return out + "\u{1B}[0m" }
            out.append(ch)
            visible += 1
        }
        return out
    }
}
