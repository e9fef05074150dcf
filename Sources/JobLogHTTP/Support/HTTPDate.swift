import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `Date` header's value (RFC 9110 section 5.6.7, `Sun, 06 Nov 1994 08:49:37 GMT`), formatted
/// when a response asks for it and kept for the rest of that second. Nothing runs between
/// requests: an idle daemon is not woken once a second to format a date no one reads.
final class HTTPDate: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((-1, ""))

    /// The header for the current second.
    func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &spec)
        let second = spec.tv_sec
        return cached.withLock { cache in
            if cache.second != second { cache = (second, Self.format(second)) }
            return cache.text
        }
    }

    /// The header for `second` seconds after 1970-01-01T00:00:00Z.
    static func format(_ second: Int) -> String {
        var time = time_t(second)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out += days[Int(parts.tm_wday)].utf8
        out += ", ".utf8
        append(Int(parts.tm_mday), digits: 2, to: &out)
        out.append(0x20)
        out += months[Int(parts.tm_mon)].utf8
        out.append(0x20)
        append(Int(parts.tm_year) + 1900, digits: 4, to: &out)
        out.append(0x20)
        append(Int(parts.tm_hour), digits: 2, to: &out)
        out.append(0x3A)
        append(Int(parts.tm_min), digits: 2, to: &out)
        out.append(0x3A)
        append(Int(parts.tm_sec), digits: 2, to: &out)
        out += " GMT".utf8
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ value: Int, digits: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<digits { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(0x30 + (rest / divisor) % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
