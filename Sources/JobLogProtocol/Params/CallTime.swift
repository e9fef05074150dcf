import JobLogJSON

/// The optional `at` param of the log and progress methods: when the job made the call,
/// in milliseconds since the epoch. The daemon keeps it for the entry's `createdAt` when it
/// is within ``window`` of its own clock, else it uses its own time.
public enum CallTime {
    /// How far `at` may be from the daemon's clock, either way: 24 hours.
    public static let window: Int64 = 24 * 3_600_000

    /// Reads `at`: an integer >= 0, or absent.
    static func read(_ r: ParamReader) throws(RPCError) -> Int64? {
        try r.int("at", in: 0...Int64.max)
    }

    /// `at` when it is within the window around `now` (both in ms since the epoch), else nil.
    public static func accepted(_ at: Int64?, now: Int64) -> Int64? {
        guard let at else { return nil }
        let (difference, overflow) = at.subtractingReportingOverflow(now)
        guard !overflow, difference.magnitude <= UInt64(window) else { return nil }
        return at
    }
}
