import JobLogJSON
import JobLogModel

#if canImport(Glibc)
    import Glibc
#endif

/// How values are written for people: durations, progress, local times, rates.
enum Format {
    /// `450ms`, `12s`, `1m05s`, `2h03m`, `3d04h`.
    static func duration(milliseconds ms: Int64) -> String {
        let ms = max(0, ms)
        if ms < 1000 { return "\(ms)ms" }
        let s = ms / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(two(s % 60))s" }
        if s < 86_400 { return "\(s / 3600)h\(two(s / 60 % 60))m" }
        return "\(s / 86_400)d\(two(s / 3600 % 24))h"
    }

    /// ` stalled`, ` slow`, ` stalled slow` or nothing: the flags after a run's status.
    static func flags(_ run: RunRecord) -> String {
        (run.stalledSince != nil ? " stalled" : "") + (run.slow ? " slow" : "")
    }

    /// A duration in seconds (an ETA), rounded up to whole seconds.
    static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let whole = Int64(min(seconds.rounded(.up), 1e12))
        return duration(milliseconds: whole * 1000)
    }

    /// `50/100 (50%)`, `50` without a total, `-` before any progress.
    static func progress(_ run: RunRecord, style: Style = Style(enabled: false)) -> String {
        guard let total = run.progressTotal else { return run.progressCurrent == 0 ? "-" : "\(run.progressCurrent)" }
        return "\(run.progressCurrent)/\(total) (\(run.progressPercent ?? 0)%)"
    }

    /// `50/100 users`, `50 users` without a total (the unit made visible unless `--raw`).
    static func counts(_ run: RunRecord, style: Style = Style(enabled: false)) -> String {
        var text = run.progressTotal.map { "\(run.progressCurrent)/\($0)" } ?? "\(run.progressCurrent)"
        if let unit = run.unit, !unit.isEmpty { text += " " + style.data(unit) }
        return text
    }

    /// tqdm's elapsed and remaining time: `[00:02<00:08]`, `[1:02:03<?]`.
    static func elapsed(milliseconds ms: Int64, remaining seconds: Double?) -> String {
        let left = seconds.flatMap { $0.isFinite && $0 >= 0 ? clock(Int64($0.rounded(.up)) * 1000) : nil } ?? "?"
        return "[\(clock(ms))<\(left)]"
    }

    /// `00:02`, `12:05`, `1:02:03`.
    static func clock(_ ms: Int64) -> String {
        let s = max(0, ms) / 1000
        if s < 3600 { return "\(two(s / 60)):\(two(s % 60))" }
        return "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))"
    }

    /// `12.5 users/s`, `0.25/s`.
    static func rate(_ perSecond: Double, unit: String?) -> String {
        let number: String
        if perSecond >= 100 {
            number = String(Int64(perSecond.rounded()))
        } else if perSecond >= 1 {
            number = String((perSecond * 10).rounded() / 10)
        } else {
            number = String((perSecond * 100).rounded() / 100)
        }
        return unit.map { "\(number) \($0)/s" } ?? "\(number)/s"
    }

    /// How a time is written.
    enum TimeStyle {
        /// `10:30:05` today, else `2024-01-08 10:30` (the run table).
        case short
        /// `10:30:05.123` today, else `2024-01-08 10:30:05.123` (log lines).
        case log
        /// `2024-01-08 10:30:05.123 +0100` (run details).
        case full
    }

    /// A timestamp in the local time zone.
    static func localTime(_ t: Timestamp, _ style: TimeStyle, now: Timestamp = .now()) -> String {
        let at = broken(t.milliseconds)
        let today = broken(now.milliseconds)
        let isToday = at.tm_year == today.tm_year && at.tm_yday == today.tm_yday
        let date = "\(at.tm_year + 1900)-\(two(Int64(at.tm_mon + 1)))-\(two(Int64(at.tm_mday)))"
        let minutes = "\(two(Int64(at.tm_hour))):\(two(Int64(at.tm_min)))"
        let seconds = minutes + ":" + two(Int64(at.tm_sec))
        let millis = seconds + "." + three((t.milliseconds % 1000 + 1000) % 1000)
        switch style {
        case .short: return isToday ? seconds : "\(date) \(minutes)"
        case .log: return isToday ? millis : "\(date) \(millis)"
        case .full:
            let offset = at.tm_gmtoff / 60
            let sign = offset < 0 ? "-" : "+"
            return "\(date) \(millis) \(sign)\(two(abs(offset) / 60))\(two(abs(offset) % 60))"
        }
    }

    /// A JSON value for a `key: value` line: strings bare, everything else as compact JSON.
    static func value(_ v: JSONValue) -> String {
        if case .string(let s) = v { return s }
        return JSONWriter.string(v)
    }

    private static func broken(_ ms: Int64) -> tm {
        var seconds = time_t(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
        var result = tm()
        localtime_r(&seconds, &result)
        return result
    }

    private static func two<T: BinaryInteger>(_ n: T) -> String { n < 10 ? "0\(n)" : "\(n)" }
    private static func three(_ n: Int64) -> String { n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)" }
}
