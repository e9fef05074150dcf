/// Nearest-rank percentiles, the one definition every statistic of the daemon uses:
/// the value at rank ⌈q·n⌉ of the sorted values; the median is `q = 0.5` (the lower middle).
public enum Percentiles {
    /// The nearest-rank percentile `q` (0...1) of `values`; nil when there are none.
    public static func of(_ values: [Int64], _ q: Double) -> Int64? {
        guard !values.isEmpty else { return nil }
        return sortedValue(values.sorted(), q)
    }

    /// The same on values already sorted ascending.
    public static func sortedValue(_ sorted: [Int64], _ q: Double) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    /// The median (lower middle for an even count).
    public static func median(_ values: [Int64]) -> Int64? { of(values, 0.5) }
}
