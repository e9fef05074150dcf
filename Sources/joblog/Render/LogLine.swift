import JobLogModel

/// One log entry as a line: `time level [stage] message {context}`.
struct LogLine {
    let entry: LogRecord
    let now: Timestamp

    func render(style: Style) -> String {
        let name = entry.level.name
        let level = name + String(repeating: " ", count: max(0, 9 - name.count))
        var parts = [
            Format.localTime(entry.createdAt, .log, now: now),
            style.apply(Style.code(for: entry.level), level),
        ]
        if let stage = entry.stage { parts.append(style.apply(Style.dim, "[\(stage)]")) }
        // Debug entries are dim as a whole; others keep the message plain and color only the level.
        parts.append(style.apply(entry.level == .debug ? Style.dim : nil, entry.message))
        if entry.context.text != "{}" { parts.append(style.apply(Style.dim, entry.context.text)) }
        return parts.joined(separator: " ")
    }
}
