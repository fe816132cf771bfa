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

    /// A burst of distinct guesses sent at once: checks in flight count, so only as many
    /// as the limit are admitted before the first ends.
    @Test func distinctCredentialsInFlightCountAgainstTheLimit() {
        var limiter = FailedAttemptLimiter(maximumFailures: 3, windowNanoseconds: 60 * second)
        let admitted = (0..<10).filter { limiter.beginCheck("10.0.0.1", key: "guess-\($0)", now: 0) == nil }
        #expect(admitted == [0, 1, 2])
        #expect(limiter.beginCheck("10.0.0.1", key: "guess-9", now: 0) == FailedAttemptLimiter.inFlightRetryNanoseconds)
        #expect(limiter.beginCheck("10.0.0.2", key: "guess-9", now: 0) == nil, "other addresses are not affected")
        // Two checks end as failures: the address stays closed, now by its window.
        limiter.endCheck("10.0.0.1", key: "guess-0", failed: true, now: 1 * second)
        limiter.endCheck("10.0.0.1", key: "guess-1", failed: true, now: 1 * second)
        #expect(limiter.retryAfter("10.0.0.1", now: 1 * second) == FailedAttemptLimiter.inFlightRetryNanoseconds)
        limiter.endCheck("10.0.0.1", key: "guess-2", failed: true, now: 1 * second)
        #expect(limiter.retryAfter("10.0.0.1", now: 1 * second) == 60 * second, "the window began with the first failure")
    }

    /// One credential sent many times at once (a client's parallel requests) counts once,
    /// and a check that succeeds leaves nothing behind.
    @Test func oneCredentialInFlightManyTimesCountsOnce() {
        var limiter = FailedAttemptLimiter(maximumFailures: 2, windowNanoseconds: 60 * second)
        for _ in 0..<20 { #expect(limiter.beginCheck("10.0.0.1", key: "right", now: 0) == nil) }
        #expect(limiter.beginCheck("10.0.0.1", key: "other", now: 0) == nil)
        #expect(limiter.beginCheck("10.0.0.1", key: "third", now: 0) != nil)
        for _ in 0..<20 { limiter.endCheck("10.0.0.1", key: "right", failed: false, now: 0) }
        limiter.endCheck("10.0.0.1", key: "other", failed: false, now: 0)
        #expect(limiter.retryAfter("10.0.0.1", now: 0) == nil)
        #expect(limiter.beginCheck("10.0.0.1", key: "third", now: 0) == nil)
    }
}

