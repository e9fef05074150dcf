import JobLogModel

/// `joblog list`'s table: id, job, status, stage, progress, started, duration.
struct RunTable {
    let runs: [RunRecord]
    let now: Timestamp

    func render(style: Style) -> [String] {
        var table = Table(
            header: ["ID", "JOB", "STATUS", "STAGE", "PROGRESS", "STARTED", "DURATION"],
            maxWidths: [nil, 32, nil, 32, nil, nil, nil])
        for run in runs {
            table.rows.append([
                Table.Cell(String(run.id)),
                Table.Cell(run.jobName),
                Table.Cell(run.status.rawValue + Format.flags(run), color: Style.code(for: run.status)),
                Table.Cell(run.currentStage ?? "-"),
                Table.Cell(Format.progress(run)),
                Table.Cell(Format.localTime(run.startedAt, .short, now: now)),
                Table.Cell(Self.duration(run, now: now)),
            ])
        }
        return table.render(style: style)
    }

    /// The run's duration; for a RUNNING run, the time since it started.
    static func duration(_ run: RunRecord, now: Timestamp) -> String {
        if let ms = run.durationMs { return Format.duration(milliseconds: ms) }
        guard run.status == .running else { return "-" }
        return Format.duration(milliseconds: now.milliseconds - run.startedAt.milliseconds)
    }
}
