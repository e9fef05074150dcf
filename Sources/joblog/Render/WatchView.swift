import JobLogJSON
import JobLogModel

/// What `joblog watch` prints: bars redrawn in place on a terminal, one plain line per
/// change otherwise, or one `getProgress` result per change with `--json`.
struct WatchView {
    /// A run as `getProgress` returned it: decoded, and the result unchanged (for `--json`).
    struct Snapshot {
        var run: RunRecord
        var raw: JSONValue
    }

    let json: Bool
    let terminal: Bool
    let raw: Bool
    private var display = LiveDisplay()
    /// What was last printed per run (plain and JSON modes print only changes).
    private var printed: [Int64: String] = [:]
    private var saidWaiting = false

    init(json: Bool, terminal: Bool, raw: Bool = false) {
        self.json = json
        self.terminal = terminal
        self.raw = raw
    }

    private var style: Style { Style(enabled: terminal && !json, raw: raw) }

    /// The runs that fit in `rows` lines: all of them, or the most recently active (in id
    /// order) and how many are hidden (the last line then says so).
    static func fitting(_ running: [Snapshot], rows: Int) -> (shown: [Snapshot], hidden: Int) {
        guard running.count > rows else { return (running, 0) }
        let room = max(1, rows - 1)
        let active = running.sorted {
            ($0.run.lastHeartbeatAt, $0.run.id) > ($1.run.lastHeartbeatAt, $1.run.id)
        }
        let shown = Set(active.prefix(room).map(\.run.id))
        return (running.filter { shown.contains($0.run.id) }, running.count - room)
    }

    /// Shows the running runs, and the final status of those that `ended` (with their `getRun` record).
    mutating func update(running: [Snapshot], ended: [(Snapshot, RunRecord)], waiting: Bool = false) {
        let now = Timestamp.now()
        let finals = ended.map { ProgressLine.final($0.1, now: now, style: style) }
        if json {
            for snapshot in running + ended.map(\.0) { printIfChanged(snapshot, JSONWriter.string(snapshot.raw)) }
        } else if terminal {
            let columns = max(10, Terminal.columns - 1)
            let (shown, hidden) = Self.fitting(running, rows: max(1, Terminal.rows - 1))
            let width = shown.map { ProgressLine.label($0.run, style: style).count }.max() ?? 0
            var live = shown.map {
                ProgressLine(run: $0.run, fancy: true, labelWidth: width, now: now).render(style: style, width: columns)
            }
            if hidden > 0 {
                live.append(
                    LiveDisplay.fit(
                        "… \(hidden) more running (the most recently active are shown; --job NAME filters)", columns))
            }
            if waiting, live.isEmpty { live = ["waiting for a run to start… (Ctrl-C to stop)"] }
            display.draw(live: live, permanent: finals.map { LiveDisplay.fit($0, columns) })
        } else {
            if waiting, !saidWaiting {
                Console.line("waiting for a run to start")
                saidWaiting = true
            }
            for snapshot in running {
                printIfChanged(snapshot, ProgressLine(run: snapshot.run, fancy: false, now: now).render(style: style))
            }
            for line in finals { Console.line(line) }
        }
    }

    /// Prints `line` unless the run's progress is what was printed last (rate and ETA aside).
    private mutating func printIfChanged(_ snapshot: Snapshot, _ line: String) {
        let r = snapshot.run
        let key =
            "\(r.status)\(Format.flags(r)) \(r.progressCurrent) \(r.progressTotal ?? -1) \(r.unit ?? "") \(r.currentStage ?? "") \(r.cancelRequestedAt != nil)"
        guard printed[r.id] != key else { return }
        printed[r.id] = key
        Console.line(line)
    }
}
