import Testing

@testable import ProxyAuth

/// Failed credential checks per client address (issue 17 item 2), on a clock the test moves.
@Suite struct FailedAttemptLimiterTests {
    private let second: Int64 = 1_000_000_000

    @Test func anAddressIsRefusedAfterItsFailuresUntilTheWindowEnds() {
        var limiter = FailedAttemptLimiter(maximumFailures: 3, windowNanoseconds: 60 * second)
        let start: Int64 = 1000 * second
        for offset in 0..<2 {
            limiter.failed("10.0.0.1", now: start + Int64(offset) * second)
            #expect(limiter.retryAfter("10.0.0.1", now: start + Int64(offset) * second) == nil)
        }
        limiter.failed("10.0.0.1", now: start + 2 * second)
        #expect(limiter.retryAfter("10.0.0.1", now: start + 2 * second) == 58 * second)
        #expect(limiter.retryAfter("10.0.0.2", now: start + 2 * second) == nil, "other addresses are not affected")
        #expect(limiter.retryAfter("10.0.0.1", now: start + 59 * second) == 1 * second)
        #expect(limiter.retryAfter("10.0.0.1", now: start + 60 * second) == nil, "the window ended")
        // A new window starts with the next failure.
        limiter.failed("10.0.0.1", now: start + 61 * second)
        #expect(limiter.retryAfter("10.0.0.1", now: start + 61 * second) == nil)
    }

    @Test func rememberedAddressesAreBounded() {
        var limiter = FailedAttemptLimiter(maximumFailures: 1, windowNanoseconds: 10 * second, maximumAddresses: 3)
        for index in 0..<3 { limiter.failed("10.0.0.\(index)", now: Int64(index) * second) }
        #expect(limiter.addressCount == 3)
        // Past the bound, the oldest goes (all windows still running).
        limiter.failed("10.0.0.9", now: 5 * second)
        #expect(limiter.addressCount == 3)
        #expect(limiter.retryAfter("10.0.0.0", now: 5 * second) == nil)
        #expect(limiter.retryAfter("10.0.0.9", now: 5 * second) == 10 * second)
        // Ended windows go first.
        limiter.failed("10.0.0.8", now: 100 * second)
        #expect(limiter.addressCount == 1)
    }
}
