import Testing
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyStore

/// The pure eviction policy: least recently used first, down to the low watermark, age
/// limits, primary data untouched, and the "no room can be made" verdict.
struct EvictionPolicyTests {
    static func digest(_ n: Int) -> Digest {
        let hex = String(repeating: "0", count: 64 - String(n, radix: 16).count) + String(n, radix: 16)
        return try! Digest(parsing: "sha256:\(hex)")
    }

    static func candidate(_ n: Int, bytes: Int64, access: Int64, retention: Retention = .cached) -> EvictionPolicy.Candidate {
        EvictionPolicy.Candidate(digest: digest(n), byteCount: bytes, lastAccessSeconds: access, retention: retention)
    }

    @Test func underTheLimitNothingIsEvicted() {
        let policy = EvictionPolicy(limits: CacheLimits(maximumByteCount: 1000))
        let plan = policy.plan([Self.candidate(1, bytes: 400, access: 10), Self.candidate(2, bytes: 500, access: 20)],
                               usage: 1000, nowSeconds: 100)
        #expect(plan.victims.isEmpty)
        #expect(plan.fits)
    }

    @Test func overTheLimitTheLeastRecentlyReadGoFirstDownToTheLowWatermark() {
        // Limit 1000, watermark 90% = 900. Usage 1300: must free at least 400.
        let policy = EvictionPolicy(limits: CacheLimits(maximumByteCount: 1000, lowWatermarkPercent: 90))
        let candidates = [
            Self.candidate(1, bytes: 300, access: 50),  // read last: kept
            Self.candidate(2, bytes: 300, access: 10),  // oldest read: first out
            Self.candidate(3, bytes: 300, access: 30),  // second out
            Self.candidate(4, bytes: 300, access: 40),  // 1300 - 600 = 700 <= 900: kept
            Self.candidate(5, bytes: 100, access: 45),
        ]
        let plan = policy.plan(candidates, usage: 1300, nowSeconds: 100)
        #expect(plan.victims == [Self.digest(2), Self.digest(3)])
        #expect(plan.freedByteCount == 600)
        #expect(plan.fits)
    }

    @Test func lastAccessNotFirstFetchDecides() {
        // Entry 1 was fetched first but read recently; entry 2 fetched later, never read since.
        let policy = EvictionPolicy(limits: CacheLimits(maximumByteCount: 100, lowWatermarkPercent: 60))
        let plan = policy.plan([Self.candidate(1, bytes: 60, access: 90), Self.candidate(2, bytes: 60, access: 20)],
                               usage: 120, nowSeconds: 100)
        #expect(plan.victims == [Self.digest(2)])
    }

    @Test func roomForANewFillIsMadeBeforeItArrives() {
        let policy = EvictionPolicy(limits: CacheLimits(maximumByteCount: 1000, lowWatermarkPercent: 80))
        let candidates = [Self.candidate(1, bytes: 500, access: 1), Self.candidate(2, bytes: 300, access: 2)]
        // 800 used + 300 wanted = 1100 > 1000: down to 800 including the 300 → evict 1 (500).
        let plan = policy.plan(candidates, usage: 800, extraByteCount: 300, nowSeconds: 10)
        #expect(plan.victims == [Self.digest(1)])
        #expect(plan.fits)
    }

    @Test func primaryDataIsNeverChosenAndHeldBytesCanMakeItImpossible() {
        let policy = EvictionPolicy(limits: CacheLimits(maximumByteCount: 1000))
        let candidates = [Self.candidate(1, bytes: 900, access: 1, retention: .primary), Self.candidate(2, bytes: 100, access: 2)]
        // 1000 of overhead/held bytes beyond the entries: evicting 2 cannot bring 1500 under 1000.
        let plan = policy.plan(candidates, usage: 1500, nowSeconds: 10)
        #expect(plan.victims == [Self.digest(2)])
        #expect(!plan.fits)
    }

    @Test func contentNotReadForTheMaximumAgeIsRemovedWhateverTheSize() {
        let day: Int64 = 86_400
        let policy = EvictionPolicy(limits: CacheLimits(maximumAgeNanoseconds: 14 * day * 1_000_000_000))
        let now: Int64 = 100 * day
        let candidates = [
            Self.candidate(1, bytes: 10, access: now - 15 * day),
            Self.candidate(2, bytes: 10, access: now - 13 * day),
            Self.candidate(3, bytes: 10, access: now - 30 * day, retention: .primary),
        ]
        let plan = policy.plan(candidates, usage: 30, nowSeconds: now)
        #expect(plan.victims == [Self.digest(1)])
        #expect(plan.expiredCount == 1)
        // Time moves on (an injected clock, not a sleep): the second one expires too.
        #expect(policy.plan(candidates, usage: 30, nowSeconds: now + 2 * day).victims == [Self.digest(1), Self.digest(2)])
    }

    @Test func lowWatermarkIsComputedWithoutOverflow() {
        #expect(CacheLimits(maximumByteCount: 1000, lowWatermarkPercent: 90).lowWatermarkByteCount == 900)
        #expect(CacheLimits(maximumByteCount: Int64.max, lowWatermarkPercent: 100).lowWatermarkByteCount == Int64.max)
        #expect(CacheLimits(maximumByteCount: 200 << 30).lowWatermarkByteCount == 193_273_528_320)
    }
}
