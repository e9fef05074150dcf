import JobLogModel

/// One run's live progress on one line:
/// `#12 user-sync  [██████░░░░░░]  50%  50/100 users  12.5 users/s  [00:04<00:04]  Syncing users`.
///
/// Runs without a total show a counter and a rate. When the line is wider than the
/// terminal, parts are dropped in this order: the bar, the stage, the rate, the times;
/// what is left is cut (a wrapped line would break the redraw).
struct ProgressLine {
    let run: RunRecord
    /// Block characters and colors (a terminal), or plain ASCII (a file or pipe).
    let fancy: Bool
    /// The label (`#12 user-sync`) is padded to this width, to align the bars of several runs.
    var labelWidth = 0
    var now: Timestamp = .now()

    static let barWidth = 24

    /// The parts that may be dropped, first dropped first.
    private enum Part: CaseIterable {
        case bar, stage, rate, time
    }

    func render(style: Style, width: Int? = nil) -> String {
        var dropped: Set<Part> = []
        var line = compose(style: style, without: dropped)
        guard let width else { return line }
        for part in Part.allCases where Self.visibleWidth(line) > width {
            dropped.insert(part)
            line = compose(style: style, without: dropped)
        }
        return Self.visibleWidth(line) > width ? LiveDisplay.fit(line, width) : line
    }

    private func compose(style: Style, without dropped: Set<Part>) -> String {
        let label = Self.label(run, style: style)
        var parts = [
            style.apply(Style.bold, label) + String(repeating: " ", count: max(0, labelWidth - label.count))
        ]
        let percent = run.progressTotal.map { _ in Int(run.progressPercent ?? 0) }
        if let total = run.progressTotal, let percent, !dropped.contains(.bar) {
            let filled = total == 0 ? Self.barWidth : min(100, percent) * Self.barWidth / 100
            let (on, off) = fancy ? ("█", "░") : ("#", "-")
            let bar =
                String(repeating: on, count: filled) + String(repeating: off, count: Self.barWidth - filled)
            parts.append("[" + style.apply(Style.cyan, bar) + "]")
        }
        if let percent {
            parts.append(String(repeating: " ", count: max(0, 3 - String(percent).count)) + "\(percent)%")
        }
        parts.append(Format.counts(run, style: style))
        if !dropped.contains(.rate), let rate = run.ratePerSecond {
            parts.append(Format.rate(rate, unit: run.unit.map(style.data)))
        }
        if !fancy { parts.append(run.status.rawValue) }
        if run.stalledSince != nil { parts.append(style.apply(Style.yellow, "stalled")) }
        if run.slow { parts.append(style.apply(Style.yellow, "slow")) }
        if run.status == .running, run.cancelRequestedAt != nil {
            parts.append(style.apply(Style.yellow, "cancel requested"))
        }
        if !dropped.contains(.time) { parts.append(time(percent: percent)) }
        if !dropped.contains(.stage), let stage = run.currentStage {
            parts.append(style.apply(Style.dim, style.data(stage)))
        }
        return parts.joined(separator: "  ")
    }

    /// tqdm's `[elapsed<remaining]`; `[elapsed]` without a total or at 100% (never "ETA 0").
    private func time(percent: Int?) -> String {
        let elapsed = now.milliseconds - run.startedAt.milliseconds
        guard let percent, percent < 100 else { return "[\(Format.clock(elapsed))]" }
        return Format.elapsed(milliseconds: elapsed, remaining: run.etaSeconds)
    }

    /// Characters that take a column (escape sequences do not).
    static func visibleWidth(_ line: String) -> Int {
        var n = 0
        var inEscape = false
        for ch in line {
            if inEscape {
                if ch.isLetter { inEscape = false }
            } else if ch == "\u{1B}" {
                inEscape = true
            } else {
                n += 1
            }
        }
        return n
    }

    /// `#12 user-sync` (the name cut to 24 characters).
    static func label(_ run: RunRecord, style: Style = Style(enabled: false)) -> String {
        "#\(run.id) \(Table.cut(style.data(run.jobName), 24))"
    }

    /// The line for a run that ended: `#12 user-sync SUCCESS in 1m05s  100/100 users  error: ...`.
    static func final(_ run: RunRecord, now: Timestamp, style: Style) -> String {
        var text =
            style.apply(Style.bold, "#\(run.id) \(style.data(run.jobName))") + " "
            + style.apply(Style.code(for: run.status), run.status.rawValue + Format.flags(run))
        let duration = RunTable.duration(run, now: now)
        if duration != "-" { text += " in \(duration)" }
        if run.progressTotal != nil || run.progressCurrent > 0 { text += "  " + Format.counts(run, style: style) }
        if let error = run.errorMessage { text += "  " + style.apply(Style.red, "error: \(style.data(error))") }
        return text
    }
}
