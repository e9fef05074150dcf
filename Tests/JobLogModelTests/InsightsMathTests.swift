import JobLogModel
import Testing

/// The nearest-rank percentiles and the short durations of the insight messages.
@Suite struct InsightsMathTests {
    @Test func nearestRankPercentiles() {
        #expect(Percentiles.of([], 0.5) == nil)
        #expect(Percentiles.median([7]) == 7)
        #expect(Percentiles.median([4, 1, 3, 2]) == 2, "the lower middle of an even count")
        #expect(Percentiles.median([5, 1, 3]) == 3)
        let hundred = (1...100).map(Int64.init)
        #expect(Percentiles.of(hundred, 0.95) == 95)
        #expect(Percentiles.of(hundred, 1) == 100)
        #expect(Percentiles.of(hundred, 0) == 1)
    }

    @Test func durationsAndRatios() {
        #expect(DurationText.format(ms: 850) == "850ms")
        #expect(DurationText.format(ms: 4250) == "4.2s")
        #expect(DurationText.format(ms: 42_000) == "42s")
        #expect(DurationText.format(ms: 192_000) == "3m12s")
        #expect(DurationText.format(ms: 720_000) == "12m")
        #expect(DurationText.format(ms: 7_500_000) == "2h05m")
        #expect(DurationText.ratio(2.4) == "2.4×")
        #expect(DurationText.ratio(3.125) == "3.1×")
    }
}
