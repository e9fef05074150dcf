import Testing

@testable import JobLogModel

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"), (1_704_709_800_123, "2024-01-08T10:30:00.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"), (-1, "1969-12-31T23:59:59.999Z"),
        (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
    ])
    func formatsAndParses(ms: Int64, text: String) {
        #expect(Timestamp(milliseconds: ms).iso8601 == text)
        #expect(Timestamp(iso8601: text)?.milliseconds == ms)
    }

    /// Every millisecond of years 0 to 9999 sampled: written in place, read back the same; out of
    /// that range the longer form.
    @Test func roundTripsAcrossTheFourDigitYears() {
        var rng = SystemRandomNumberGenerator()
        let first = Timestamp(iso8601: "0000-01-01T00:00:00.000Z")!.milliseconds
        let last = Timestamp(iso8601: "9999-12-31T23:59:59.999Z")!.milliseconds
        for _ in 0..<20_000 {
            let ms = Int64.random(in: first...last, using: &rng)
            let text = Timestamp(milliseconds: ms).iso8601
            #expect(text.utf8.count == 24)
            #expect(Timestamp(iso8601: text)?.milliseconds == ms, "\(ms) \(text)")
        }
        #expect(Timestamp(milliseconds: last + 1).iso8601 == "10000-01-01T00:00:00.000Z")
    }

    @Test func rejectsMalformed() {
        for s in ["", "2024-01-08", "2024-13-08T10:30:00.000Z", "2024-01-08T10:30:00.000", "2024-01-08T25:30:00Z"] {
            #expect(Timestamp(iso8601: s) == nil, "\(s)")
        }
        #expect(Timestamp(iso8601: "2024-01-08T10:30:00Z")?.milliseconds == 1_704_709_800_000)
    }

    @Test func outcomeCountersKeepOrderAndRefuseOverflow() {
        var c = OutcomeCounters()
        c.add("synced", 1)
        c.add("errors", 1)
        c.add("synced", 2)
        #expect(c.entries.map(\.key) == ["synced", "errors"])
        #expect(c["synced"] == 3)
        #expect(c.jsonText == #"{"synced":3,"errors":1}"#)
        let added = c.add("synced", Int64.max)
        #expect(!added)
        #expect(c["synced"] == 3)
        #expect(OutcomeCounters(jsonText: c.jsonText) == c)
    }

    @Test func levelsOrder() {
        #expect(
            LogLevel.debug < .info && LogLevel.info < .milestone && LogLevel.milestone < .warning
                && LogLevel.warning < .error)
        #expect(LogLevel(name: "milestone") == .milestone)
        #expect(LogLevel(name: "fatal") == nil)
    }
}
