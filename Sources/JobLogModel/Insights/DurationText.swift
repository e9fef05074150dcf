/// Short human durations for messages: `850ms`, `4.2s`, `3m12s`, `2h05m`.
public enum DurationText {
    public static func format(ms: Int64) -> String {
        let ms = max(0, ms)
        if ms < 1000 { return "\(ms)ms" }
        if ms < 10_000 { return "\(ms / 1000).\((ms % 1000) / 100)s" }
        let s = ms / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return s % 60 == 0 ? "\(s / 60)m" : "\(s / 60)m\(pad(s % 60))s" }
        return "\(s / 3600)h\(pad((s % 3600) / 60))m"
    }

    /// A ratio as `2.4×`.
    public static func ratio(_ r: Double) -> String {
        guard r.isFinite else { return "?×" }
        let tenths = Int64((r * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)×"
    }

    private static func pad(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
