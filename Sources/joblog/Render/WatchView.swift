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
    private var display = LiveDisplay()
    /// What was last printed per run (plain and JSON modes print only changes).
    private var printed: [Int64: String] = [:]
    private var saidWaiting = false

    init(json: Bool, terminal: Bool) {
        self.json = json
        self.terminal = terminal
    }

    private var style: Style { Style(enabled: terminal && !json) }

    /// Shows the running runs, and the final status of those that `ended` (with their `getRun` record).
    mutating func update(running: [Snapshot], ended: [(Snapshot, RunRecord)], waiting: Bool = false) {
        let now = Timestamp.now()
        let finals = ended.map { ProgressLine.final($0.1, now: now, style: style) }
        if json {
            for snapshot in running + ended.map(\.0) { printIfChanged(snapshot, JSONWriter.string(snapshot.raw)) }
        } else if terminal {
            let width = running.map { ProgressLine.label($0.run).count }.max() ?? 0
            var live = running.map { ProgressLine(run: $0.run, fancy: true, labelWidth: width).render(style: style) }
            if waiting, live.isEmpty { live = ["waiting for a run to start… (Ctrl-C to stop)"] }
            display.draw(live: live, permanent: finals)
        } else {
            if waiting, !saidWaiting {
                Console.line("waiting for a run to start")
                saidWaiting = true
            }
            for snapshot in running {
                printIfChanged(snapshot, ProgressLine(run: snapshot.run, fancy: false).render(style: style))
            }
            for line in finals { Console.line(line) }
        }
    }

    /// Prints `line` unless the run's progress is what was printed last (rate and ETA aside).
    private mutating func printIfChanged(_ snapshot: Snapshot, _ line: String) {
        let r = snapshot.run
        let key =
            "\(r.status)\(Format.flags(r)) \(r.progressCurrent) \(r.progressTotal ?? -1) \(r.unit ?? "") \(r.currentStage ?? "")"
        guard printed[r.id] != key else { return }
        printed[r.id] = key
        Console.line(line)
    }
}
