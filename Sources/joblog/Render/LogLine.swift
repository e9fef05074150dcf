import JobLogJSON
import JobLogModel

/// One log entry as a line: `time level [job#run] [stage] message {context}`, then the
/// entry's traceback, if it has one, as indented lines.
struct LogLine {
    let entry: LogRecord
    let now: Timestamp
    /// The run, for entries from several runs (`logs --job`, `--all-runs`): `nightly#12`.
    var run: (id: Int64, jobName: String)?

    init(entry: LogRecord, now: Timestamp, run: (id: Int64, jobName: String)? = nil) {
        self.entry = entry
        self.now = now
        self.run = run
    }

    func render(style: Style) -> String {
        let name = entry.level.name
        let level = name + String(repeating: " ", count: max(0, 9 - name.count))
        var parts = [
            Format.localTime(entry.createdAt, .log, now: now),
            style.apply(Style.code(for: entry.level), level),
        ]
        if let run { parts.append(style.apply(Style.bold, "\(style.data(run.jobName))#\(run.id)")) }
        if let stage = entry.stage { parts.append(style.apply(Style.dim, "[\(style.data(stage))]")) }
        // Debug entries are dim as a whole; others keep the message plain and color only the level.
        parts.append(style.apply(entry.level == .debug ? Style.dim : nil, style.data(entry.message)))
        let traceback = Traceback(context: entry.context)
        let context = traceback?.rest ?? entry.context.text
        if context != "{}" { parts.append(style.apply(Style.dim, style.data(context))) }
        var line = parts.joined(separator: " ")
        if let traceback {
            let lines =
                style.raw
                ? traceback.text.split(separator: "\n").map(String.init) : TerminalText.visibleLines(traceback.text)
            for text in lines where !text.isEmpty { line += "\n    " + style.apply(Style.dim, text) }
        }
        return line
    }
}

/// A traceback carried in an entry's context: `stack`, `exc`, `exc_info` or `traceback`
/// (a string), or `error.stack` (Python's logging handler and `finishRun` put them there).
struct Traceback {
    /// The traceback's text (several lines).
    let text: String
    /// The context without it, as compact JSON (`{}` when nothing else is left).
    let rest: String

    static let keys = ["stack", "exc", "exc_info", "traceback"]

    init?(context: RawJSON) {
        // Cheap test first: most contexts have none.
        guard Self.keys.contains(where: { context.text.contains("\"\($0)\"") }),
            case .object(var object)? = context.parsed()
        else { return nil }
        for key in Self.keys {
            if case .string(let s)? = object[key], !s.isEmpty {
                text = s
                object[key] = nil
                rest = JSONWriter.string(.object(object))
                return
            }
        }
        if case .object(var error)? = object["error"], case .string(let s)? = error["stack"], !s.isEmpty {
            text = s
            error["stack"] = nil
            object["error"] = error.members.isEmpty ? nil : .object(error)
            rest = JSONWriter.string(.object(object))
            return
        }
        return nil
    }
}
