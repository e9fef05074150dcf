import JobLogModel

/// `joblog list`'s table: id, job, status, stage, progress, warnings, errors, started,
/// duration and the failure reason (cut to the terminal's width, never wrapped).
struct RunTable {
    let runs: [RunRecord]
    let now: Timestamp
    /// The width the lines are cut to (the reason column takes what is left).
    var width: Int = Terminal.columns

    static let header = ["ID", "JOB", "STATUS", "STAGE", "PROGRESS", "WARN", "ERR", "STARTED", "DURATION", "REASON"]

    func render(style: Style) -> [String] {
        var table = Table(header: Self.header, maxWidths: [nil, 32, nil, 32, nil, nil, nil, nil, nil, nil])
        table.width = width
        for run in runs {
            let warnings = Self.count(run, .warning)
            let errors = Self.count(run, .error)
            table.rows.append([
                Table.Cell(String(run.id)),
                Table.Cell(style.data(run.jobName)),
                Table.Cell(run.status.rawValue + Format.flags(run), color: Style.code(for: run.status)),
                Table.Cell(style.data(run.currentStage ?? "-")),
                Table.Cell(Format.progress(run, style: style)),
                Table.Cell(String(warnings), color: warnings > 0 ? Style.yellow : nil),
                Table.Cell(String(errors), color: errors > 0 ? Style.red : nil),
                Table.Cell(Format.localTime(run.startedAt, .short, now: now)),
                Table.Cell(Self.duration(run, now: now)),
                Table.Cell(Self.reason(run, style: style), color: run.errorMessage == nil ? nil : Style.red),
            ])
        }
        return table.render(style: style)
    }

    /// The run's entries at `level`.
    static func count(_ run: RunRecord, _ level: LogLevel) -> Int64 {
        run.logCounts[level]
    }

    /// The first line of the run's error message, made visible; `-` without one.
    static func reason(_ run: RunRecord, style: Style) -> String {
        guard let message = run.errorMessage, !message.isEmpty else { return "-" }
        let first = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return style.data(String(first))
    }

    /// The run's duration; for a RUNNING run, the time since it started.
    static func duration(_ run: RunRecord, now: Timestamp) -> String {
        if let ms = run.durationMs { return Format.duration(milliseconds: ms) }
        guard run.status == .running else { return "-" }
        return Format.duration(milliseconds: now.milliseconds - run.startedAt.milliseconds)
    }
}
