#if canImport(Glibc)
    import Glibc
#endif

/// Unbuffered writes to stdout and stderr (each call is one or a few `write(2)`s,
/// so output is visible at once even through a pipe, as `--follow` needs).
enum Console {
    /// Writes `text` to stdout as is.
    static func out(_ text: String) {
        write(1, Array(text.utf8))
    }

    /// Writes `text` and a newline to stdout.
    static func line(_ text: String) {
        out(text + "\n")
    }

    /// Writes `text` and a newline to stderr. Messages may quote job data (a run's name,
    /// the daemon's reason): control characters other than newlines are shown visibly.
    static func error(_ text: String) {
        let safe = TerminalText.visibleLines(text).joined(separator: "\n")
        write(2, Array((safe + "\n").utf8))
    }

    /// Writes all of `bytes` to `fd`; false when the descriptor no longer takes them.
    @discardableResult
    static func write(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Bool {
        let buffer = Array(bytes)
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, buffer.count - offset) }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EINTR || errno == EAGAIN {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// True when stdout is a terminal.
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }
}
