import JobLogJSON
import JobLogModel

/// `joblog show`'s view of one run: aligned `key: value` lines, then the outcome and params.
struct RunDetails {
    let run: RunRecord
    let now: Timestamp

    func render(style: Style) -> [String] {
        var fields: [(String, String, String?)] = [
            ("run", String(run.id), nil),
            ("job", style.data(run.jobName), nil),
            ("status", run.status.rawValue + Format.flags(run), Style.code(for: run.status)),
            ("trigger", style.data(run.trigger), nil),
            ("scope", style.data(run.scope), nil),
        ]
        if let version = run.algorithmVersion { fields.append(("algorithm", style.data(version), nil)) }
        fields.append(("stage", style.data(run.currentStage ?? "-"), nil))
        fields.append(("progress", progress(style), nil))
        if let rate = run.ratePerSecond {
            var text = Format.rate(rate, unit: run.unit.map(style.data))
            if let eta = run.etaSeconds { text += ", ETA \(Format.duration(seconds: eta))" }
            fields.append(("rate", text, nil))
        }
        fields.append(("started", Format.localTime(run.startedAt, .full, now: now), nil))
        if let finished = run.finishedAt {
            fields.append(("finished", Format.localTime(finished, .full, now: now), nil))
        }
        let duration = RunTable.duration(run, now: now)
        fields.append(("duration", run.status == .running ? "\(duration) so far" : duration, nil))
        fields.append(("last heard", Format.localTime(run.lastHeartbeatAt, .full, now: now), nil))
        if let since = run.stalledSince {
            let silent = Format.duration(milliseconds: now.milliseconds - since.milliseconds)
            fields.append(
                ("stalled", "no progress since \(Format.localTime(since, .full, now: now)) (\(silent))", Style.yellow))
        }
        if let pid = run.ownerPid {
            fields.append(("owner", "pid \(pid)" + (run.ownerUid.map { ", uid \($0)" } ?? ""), nil))
        }
        if let asked = run.cancelRequestedAt {
            let why = run.cancelReason.flatMap { $0.isEmpty ? nil : ": \(style.data($0))" } ?? ""
            fields.append(
                ("cancel", "cancel requested \(Format.localTime(asked, .full, now: now))\(why)", Style.yellow))
        }
        if let message = run.errorMessage { fields.append(("error", style.data(message), Style.red)) }
        fields.append(("logs", counts(run.logCounts), nil))
        if !run.droppedLogCounts.isZero {
            fields.append(("dropped logs", counts(run.droppedLogCounts), nil))
        }
        if run.rejectedCount > 0 {
            let last = run.lastRejection.map { ", last: \($0)" } ?? ""
            fields.append(("rejected", "\(run.rejectedCount) notification(s)\(last)", Style.yellow))
        }

        let width = fields.map(\.0.count).max() ?? 0
        var lines = fields.map { key, value, color in
            "\(key):" + String(repeating: " ", count: width - key.count + 1) + style.apply(color, value)
        }
        if let stack = run.errorStack, !stack.isEmpty {
            lines.append("stack:")
            lines += (style.raw ? stack.split(separator: "\n").map(String.init) : TerminalText.visibleLines(stack))
                .map { "  " + $0 }
        }
        lines += section("outcome", run.outcome.entries.map { (style.data($0.key), String($0.count)) })
        if !run.savedOutcome.entries.isEmpty, run.savedOutcome != run.outcome {
            lines += section("saved outcome", run.savedOutcome.entries.map { (style.data($0.key), String($0.count)) })
        }
        let params = run.params.parsed()?.objectValue?.members ?? []
        lines += section("params", params.map { (style.data($0.key), style.data(Format.value($0.value))) })
        return lines
    }

    private func progress(_ style: Style) -> String {
        guard run.progressTotal != nil || run.progressCurrent > 0 else { return "-" }
        var text = Format.counts(run, style: style)
        if let percent = run.progressPercent { text += " (\(percent)%)" }
        return text
    }

    private func counts(_ perLevel: LogLevelCounts) -> String {
        LogLevel.allCases.map { "\($0.name) \(perLevel[$0])" }.joined(separator: ", ")
    }

    /// `name:` and indented, aligned `key: value` lines; `name: (none)` when empty.
    private func section(_ name: String, _ entries: [(String, String)]) -> [String] {
        guard !entries.isEmpty else { return ["\(name): (none)"] }
        let width = entries.map(\.0.count).max() ?? 0
        return ["\(name):"]
            + entries.map { key, value in "  \(key):" + String(repeating: " ", count: width - key.count + 1) + value }
    }
}
