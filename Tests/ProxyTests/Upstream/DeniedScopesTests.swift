import Testing

@testable import Proxy
@testable import ProxyUpstream

/// The per-upstream memory of scopes refused even with a fresh token: believed for
/// `DeniedScopes.lifetime`, per scope, and bounded.
@Suite struct DeniedScopesTests {
    static let scope = "repository:private/app:pull"

    @Test func aDenialIsBelievedForItsLifetimeAndThenForgotten() {
        let start = ContinuousClock.now
        var denied = DeniedScopes()
        #expect(!denied.contains(Self.scope, now: start))
        denied.remember(Self.scope, now: start)
        #expect(denied.contains(Self.scope, now: start))
        #expect(denied.contains(Self.scope, now: start + DeniedScopes.lifetime - .milliseconds(1)))
        #expect(!denied.contains("repository:private/other:pull", now: start))
        #expect(!denied.contains("repository:private/app:push", now: start))
        #expect(!denied.contains(Self.scope, now: start + DeniedScopes.lifetime))
    }

    @Test func aSecondDenialExtendsTheLifetime() {
        let start = ContinuousClock.now
        var denied = DeniedScopes()
        denied.remember(Self.scope, now: start)
        denied.remember(Self.scope, now: start + .seconds(20))
        #expect(denied.contains(Self.scope, now: start + DeniedScopes.lifetime + .seconds(10)))
    }

    @Test func atCapacityExpiredEntriesMakeRoomAndLiveOnesAreKept() {
        let start = ContinuousClock.now
        var denied = DeniedScopes()
        for index in 0..<DeniedScopes.capacity { denied.remember("repository:r\(index):pull", now: start) }
        #expect(denied.count == DeniedScopes.capacity)
        // Full of live entries: a new one is not remembered, the old ones stay.
        denied.remember("repository:late:pull", now: start + .seconds(1))
        #expect(!denied.contains("repository:late:pull", now: start + .seconds(1)))
        #expect(denied.contains("repository:r0:pull", now: start + .seconds(1)))
        // Once they expired, the next denial clears them and is remembered.
        let later = start + DeniedScopes.lifetime + .seconds(1)
        denied.remember("repository:late:pull", now: later)
        #expect(denied.count == 1)
        #expect(denied.contains("repository:late:pull", now: later))
    }
}
