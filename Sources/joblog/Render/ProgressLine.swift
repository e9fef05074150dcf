import JobLogModel

/// One run's live progress on one line:
/// `#12 user-sync  [██████░░░░░░]  50%  50/100 users  12.5 users/s  ETA 4s  Syncing users`.
struct ProgressLine {
    let run: RunRecord
    /// Block characters and colors (a terminal), or plain ASCII (a file or pipe).
    let fancy: Bool
    /// The label (`#12 user-sync`) is padded to this width, to align the bars of several runs.
    var labelWidth = 0

    static let barWidth = 24

    func render(style: Style) -> String {
        let label = Self.label(run)
        var parts = [
            style.apply(Style.bold, label) + String(repeating: " ", count: max(0, labelWidth - label.count))
        ]
        if let total = run.progressTotal {
            let percent = Int(run.progressPercent ?? 0)
            let filled = total == 0 ? Self.barWidth : Int(min(100, percent)) * Self.barWidth / 100
            let (on, off) = fancy ? ("█", "░") : ("#", "-")
            let bar =
                String(repeating: on, count: filled) + String(repeating: off, count: Self.barWidth - filled)
            parts.append("[" + style.apply(Style.cyan, bar) + "]")
            parts.append(String(repeating: " ", count: max(0, 3 - String(percent).count)) + "\(percent)%")
        }
        parts.append(Format.counts(run))
        if let rate = run.ratePerSecond { parts.append(Format.rate(rate, unit: run.unit)) }
        if let eta = run.etaSeconds { parts.append("ETA " + Format.duration(seconds: eta)) }
        if !fancy { parts.append(run.status.rawValue) }
        if run.stalledSince != nil { parts.append(style.apply(Style.yellow, "stalled")) }
        if run.slow { parts.append(style.apply(Style.yellow, "slow")) }
        if let stage = run.currentStage { parts.append(style.apply(Style.dim, stage)) }
        return parts.joined(separator: "  ")
    }

    /// `#12 user-sync` (the name cut to 24 characters).
    static func label(_ run: RunRecord) -> String { "#\(run.id) \(Table.cut(run.jobName, 24))" }

    /// The line for a run that ended: `#12 user-sync SUCCESS in 1m05s  100/100 users  error: ...`.
    static func final(_ run: RunRecord, now: Timestamp, style: Style) -> String {
        var text =
            style.apply(Style.bold, "#\(run.id) \(run.jobName)") + " "
            + style.apply(Style.code(for: run.status), run.status.rawValue + Format.flags(run))
        let duration = RunTable.duration(run, now: now)
        if duration != "-" { text += " in \(duration)" }
        if run.progressTotal != nil || run.progressCurrent > 0 { text += "  " + Format.counts(run) }
        if let error = run.errorMessage { text += "  " + style.apply(Style.red, "error: \(error)") }
        return text
    }
}
