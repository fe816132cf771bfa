import Testing
@testable import ProxyUpstream

/// The 429 memory, the manifest GET budget and the rate-limit fields, by table (pure: times
/// are passed in).
struct RateLimitMemoryTests {
    private static let second: Int64 = 1_000_000_000

    @Test func aRetryAfterClosesTheScopeUntilItEnds() {
        var memory = RateLimitMemory()
        memory.rejected(scope: "", retryAfter: 20 * Self.second, now: 100 * Self.second)
        #expect(memory.remaining(scope: "", now: 100 * Self.second) == 20 * Self.second)
        #expect(memory.remaining(scope: "", now: 119 * Self.second) == Self.second)
        #expect(memory.remaining(scope: "", now: 120 * Self.second) == nil)
        // The whole upstream closed closes each repository's scope too.
        #expect(memory.remaining(scope: "team/app", now: 110 * Self.second) == 10 * Self.second)
    }

    @Test func withoutRetryAfterTheBackoffDoublesToAMinuteAndASuccessResetsIt() {
        var memory = RateLimitMemory()
        var now: Int64 = 0
        var waits: [Int64] = []
        for _ in 0..<8 {
            memory.rejected(scope: "", retryAfter: nil, now: now)
            let wait = memory.remaining(scope: "", now: now) ?? 0
            waits.append(wait / Self.second)
            now += wait
        }
        #expect(waits == [1, 2, 4, 8, 16, 32, 60, 60])
        memory.succeeded(scope: "")
        memory.rejected(scope: "", retryAfter: nil, now: now)
        #expect(memory.remaining(scope: "", now: now) == Self.second)
    }

    @Test func aRepositoryScopeClosesOnlyThatRepository() {
        var memory = RateLimitMemory()
        memory.rejected(scope: "team/a", retryAfter: 5 * Self.second, now: 0)
        #expect(memory.remaining(scope: "team/a", now: Self.second) == 4 * Self.second)
        #expect(memory.remaining(scope: "team/b", now: Self.second) == nil)
        #expect(memory.longestRemaining(now: Self.second) == 4 * Self.second)
    }

    @Test func theBudgetAllowsNGetsInAnyHour() {
        var budget = ManifestGetBudget(limit: 3)
        let minute = 60 * Self.second
        #expect(budget.take(now: 0) == nil)
        #expect(budget.take(now: 10 * minute) == nil)
        #expect(budget.take(now: 20 * minute) == nil)
        // The fourth waits for the first to be an hour old.
        #expect(budget.take(now: 30 * minute) == 30 * minute)
        #expect(budget.take(now: 60 * minute) == nil)
        #expect(budget.take(now: 61 * minute) == 9 * minute)
        #expect(budget.take(now: 70 * minute) == nil)
    }

    @Test func theLimiterCountsWhatItSendsAndRefuses() {
        let limiter = UpstreamRateLimiter(manifestGetsPerHour: 1)
        #expect(limiter.admission(manifest: .tagHead, repository: "a", now: 0) == nil)
        #expect(limiter.admission(manifest: .tagGet, repository: "a", now: 0) == nil)
        #expect(limiter.admission(manifest: .digestGet, repository: "a", now: 0) == .budgetSpent(retryAfter: ManifestGetBudget.window))
        #expect(limiter.admission(manifest: .digestHead, repository: "a", now: 0) == nil)  // HEADs are free
        limiter.observe(status: 429, retryAfter: 3 * Self.second, limit: 100, remaining: 0, repository: "a", now: 0)
        #expect(limiter.admission(manifest: nil, repository: "b", now: Self.second) == .rateLimited(retryAfter: 2 * Self.second))
        let reading = limiter.reading(now: Self.second)
        #expect(reading.sentManifestRequests == [1, 1, 0, 1])
        #expect(reading.refusedBudget == 1 && reading.refusedRateLimited == 1)
        #expect(reading.limit == 100 && reading.remaining == 0 && reading.retryAfter == 2 * Self.second)
    }

    @Test func fieldsAreReadAsTheySendThem() {
        #expect(RateLimitFields.retryAfter("17", nowUnixSeconds: 0) == 17 * Self.second)
        #expect(RateLimitFields.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 784_111_767) == 10 * Self.second)
        #expect(RateLimitFields.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 900_000_000) == 0)
        #expect(RateLimitFields.retryAfter("soon", nowUnixSeconds: 0) == nil)
        // Hostile dates are unreadable, never a trap: a year past Int32 after `- 1900`, a
        // day 99, a minute 61.
        #expect(RateLimitFields.retryAfter("Sun, 06 Nov -2147483648 08:49:37 GMT", nowUnixSeconds: 0) == nil)
        #expect(RateLimitFields.retryAfter("Sun, 99 Nov 1994 08:49:37 GMT", nowUnixSeconds: 0) == nil)
        #expect(RateLimitFields.retryAfter("Sun, 06 Nov 1994 08:61:37 GMT", nowUnixSeconds: 0) == nil)
        // What a client is told: whole seconds, or nothing.
        #expect(UpstreamFailure.sanitizedRetryAfter("17") == "17")
        #expect(UpstreamFailure.sanitizedRetryAfter("garbage, -5") == nil)
        #expect(RateLimitFields.retryAfter(nil, nowUnixSeconds: 0) == nil)
        #expect(RateLimitFields.count("100;w=21600") == 100)
        #expect(RateLimitFields.count(" 76 ") == 76)
        #expect(RateLimitFields.count("many") == nil)
        #expect(UpstreamRateLimiter.ManifestRequestKind(method: "GET", pathAndQuery: "/v2/library/alpine/manifests/3.19?ns=docker.io") == .tagGet)
        #expect(UpstreamRateLimiter.ManifestRequestKind(method: "HEAD", pathAndQuery: "/v2/a/manifests/sha256:abc") == .digestHead)
        #expect(UpstreamRateLimiter.ManifestRequestKind(method: "GET", pathAndQuery: "/v2/a/blobs/sha256:abc") == nil)
    }
}
