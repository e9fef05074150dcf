import Testing

@testable import JobLogPostgres

/// The PostgreSQL writer's reconnect backoff: 100 ms doubling to 5 s; between attempts the last
/// reason at once; a made connection starts it over.
struct ReconnectBackoffTests {
    @Test func theWaitDoublesFrom100MsUpTo5s() {
        let waits = (1...10).map { ReconnectBackoff.delay(afterFailures: $0) }
        #expect(
            waits == [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000].map { Duration.milliseconds($0) })
        #expect(ReconnectBackoff.delay(afterFailures: 1000) == .seconds(5))
        #expect(ReconnectBackoff.delay(afterFailures: 0) == .zero)
    }

    @Test func betweenAttemptsTheLastReasonIsGivenAtOnce() {
        var backoff = ReconnectBackoff()
        let start = ContinuousClock.now
        #expect(backoff.refusal(at: start) == nil)
        backoff.failed("PostgreSQL unreachable (Connection refused)", at: start)
        #expect(backoff.refusal(at: start + .milliseconds(50)) == "PostgreSQL unreachable (Connection refused)")
        #expect(backoff.refusal(at: start + .milliseconds(100)) == nil)
        backoff.failed("again", at: start + .milliseconds(100))
        #expect(backoff.refusal(at: start + .milliseconds(250)) == "again")
        #expect(backoff.refusal(at: start + .milliseconds(300)) == nil)
        #expect(backoff.succeeded() == 2)
        #expect(backoff.failures == 0 && backoff.refusal(at: start + .milliseconds(300)) == nil)
        backoff.failed("third", at: start + .seconds(1))
        #expect(backoff.refusal(at: start + .seconds(1) + .milliseconds(150)) == nil)
    }
}
