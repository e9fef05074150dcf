import JobLogModel

/// The insights as text: a run's stage timeline, a comparison, a sparkline of durations.
enum InsightsView {
    /// `stages:` and one line per stage: name, duration (`so far` for the current one), the usual
    /// duration of that stage and the ratio when known, progress from start to end.
    static func timeline(_ stages: [StageSpan], now: Timestamp, usual: [String: Int64] = [:], style: Style)
        -> [String]
    {
        guard !stages.isEmpty else { return ["stages: (none)"] }
        let names = stages.map { style.data($0.stage) }
        let width = names.map(\.count).max() ?? 0
        return ["stages:"]
            + zip(stages, names).map { s, name in
                let ms = s.durationMs ?? (now.milliseconds - s.startedAt.milliseconds)
                var line =
                    "  \(name)" + String(repeating: " ", count: width - name.count + 2)
                    + Format.duration(milliseconds: ms) + (s.finishedAt == nil ? " so far" : "")
                if let base = usual[s.stage], base > 0 {
                    let ratio = DurationText.ratio(Double(ms) / Double(base))
                    line += "  (usual \(Format.duration(milliseconds: base)), \(ratio))"
                }
                if let start = s.progressAtStart, let end = s.progressAtEnd, end != start {
                    line += "  progress \(start) → \(end)"
                }
                return line
            }
    }

    /// `compared with …:` then the duration, the stages and the counters.
    static func comparison(_ c: RunComparison, style: Style) -> [String] {
        var lines = ["compared with the \(c.baseline):"]
        lines.append("  duration  " + row(c.duration, duration: true))
        for s in c.stages { lines.append("  stage \(style.data(s.name)): " + row(s, duration: true)) }
        for o in c.outcome {
            let sign = o.delta > 0 ? "+" : ""
            let run = o.run.map(String.init) ?? "-"
            let baseline = o.baseline.map(String.init) ?? "-"
            lines.append("  \(style.data(o.name)): \(run) vs \(baseline) (\(sign)\(o.delta))")
        }
        return lines
    }

    private static func row(_ r: RunComparison.Row, duration: Bool) -> String {
        func text(_ v: Int64?) -> String { v.map { Format.duration(milliseconds: $0) } ?? "-" }
        return "\(text(r.run)) vs \(text(r.baseline))" + (r.ratio.map { " (\(DurationText.ratio($0)))" } ?? "")
    }

    /// One block character per value, scaled between the smallest and the largest.
    static func sparkline(_ values: [Int64]) -> String {
        let blocks = Array("▁▂▃▄▅▆▇█")
        guard let lo = values.min(), let hi = values.max() else { return "" }
        return String(
            values.map { v in
                hi == lo ? blocks[3] : blocks[Int((Double(v - lo) / Double(hi - lo) * 7).rounded())]
            })
    }
}
