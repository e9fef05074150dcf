import ArgumentParser
import JobLogModel

#if canImport(Glibc)
    import Glibc
#endif

/// A span of time written as `90s`, `30m`, `1h`, `2d` or `1w` (a bare number is seconds).
struct DurationArgument: ExpressibleByArgument {
    let milliseconds: Int64

    static let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000]

    init?(argument: String) {
        var digits = Substring(argument)
        var unit: Int64 = 1000
        if let last = digits.last, let u = Self.units[last] {
            unit = u
            digits = digits.dropLast()
        }
        // At most 100,000 days: no arithmetic on it can overflow.
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int64(digits), n >= 0,
            n <= 8_640_000_000_000 / unit
        else { return nil }
        milliseconds = n * unit
    }

    /// Whole days, rounded down.
    var days: Int64 { milliseconds / 86_400_000 }
}

/// A point in time for `--since`/`--until`: a span before now (`1h`, `30m`, `2d`), an
/// ISO-8601 UTC timestamp (`2026-01-08T10:30:00Z`), or a local date and time
/// (`2026-01-08`, `2026-01-08 10:30`, `2026-01-08 10:30:05`), `today` or `yesterday`.
struct TimeArgument: ExpressibleByArgument {
    let timestamp: Timestamp

    init?(argument: String) {
        let now = Timestamp.now()
        if let span = DurationArgument(argument: argument) {
            timestamp = Timestamp(milliseconds: now.milliseconds - span.milliseconds)
        } else if let t = Timestamp(iso8601: argument) {
            timestamp = t
        } else if let t = Self.local(argument, now: now) {
            timestamp = t
        } else {
            return nil
        }
    }

    /// `YYYY-MM-DD[ HH:MM[:SS]]`, `today`, `yesterday`, in the local time zone.
    static func local(_ text: String, now: Timestamp) -> Timestamp? {
        var tmv = tm()
        if text == "today" || text == "yesterday" {
            var seconds = time_t(now.milliseconds / 1000)
            localtime_r(&seconds, &tmv)
            tmv.tm_hour = 0
            tmv.tm_min = 0
            tmv.tm_sec = 0
            if text == "yesterday" { tmv.tm_mday -= 1 }
        } else {
            let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
            let date = parts.first?.split(separator: "-").compactMap { Int32($0) } ?? []
            let time = parts.count > 1 ? parts[1].split(separator: ":").compactMap { Int32($0) } : []
            guard parts.count <= 2, date.count == 3, [0, 2, 3].contains(time.count),
                (1...12).contains(date[1]), (1...31).contains(date[2])
            else { return nil }
            tmv.tm_year = date[0] - 1900
            tmv.tm_mon = date[1] - 1
            tmv.tm_mday = date[2]
            tmv.tm_hour = time.count > 0 ? time[0] : 0
            tmv.tm_min = time.count > 1 ? time[1] : 0
            tmv.tm_sec = time.count > 2 ? time[2] : 0
        }
        tmv.tm_isdst = -1
        let seconds = mktime(&tmv)
        guard seconds != -1 else { return nil }
        return Timestamp(milliseconds: Int64(seconds) * 1000)
    }
}
