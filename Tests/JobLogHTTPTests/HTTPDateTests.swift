import Foundation
import Testing

@testable import JobLogHTTP

/// The `Date` header formatted without Foundation, checked against Foundation's formatter.
@Suite struct HTTPDateTests {
    static let reference: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f
    }()

    @Test func knownDates() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test func agreesWithFoundationOnRandomSeconds() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let second = Int.random(in: 0..<253_402_300_800, using: &rng)  // up to 9999-12-31
            let expected = Self.reference.string(from: Date(timeIntervalSince1970: TimeInterval(second)))
            #expect(HTTPDate.format(second) == expected, "second \(second)")
        }
    }

    @Test func nowIsTheCurrentSecond() {
        let before = Int(Date().timeIntervalSince1970)
        let header = HTTPDate().now()
        let after = Int(Date().timeIntervalSince1970)
        #expect((before...after).map(HTTPDate.format).contains(header))
    }
}
