import JobLogModel

/// ANSI colors, applied only when the output is a terminal.
struct Style: Sendable {
    /// False when writing to a file or pipe: text is left plain.
    let enabled: Bool
    /// True with `--raw`: job data is printed as stored, control characters included.
    var raw = false

    init(enabled: Bool, raw: Bool = false) {
        self.enabled = enabled
        self.raw = raw
    }

    /// Job data (names, stages, messages, context) as it may be printed: see `TerminalText`.
    func data(_ text: String) -> String { raw ? text : TerminalText.visible(text) }

    static let red = "31"
    static let green = "32"
    static let yellow = "33"
    static let magenta = "35"
    static let cyan = "36"
    static let bold = "1"
    static let dim = "2"

    /// `text` in the SGR `code`, when enabled.
    func apply(_ code: String?, _ text: String) -> String {
        guard enabled, let code else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// The color of a run status.
    static func code(for status: RunStatus) -> String {
        switch status {
        case .running: cyan
        case .success: green
        case .failed: red
        case .cancelled: yellow
        case .abandoned: magenta
        }
    }

    /// The color of a log level (nil: plain).
    static func code(for level: LogLevel) -> String? {
        switch level {
        case .debug: dim
        case .info: nil
        case .milestone: bold
        case .warning: yellow
        case .error: red
        }
    }
}
