import Testing
@testable import ProxyPullThrough

/// The remembered answers of `credentials: client` confirmations (issue 17 item 3), on a
/// clock the test moves: one per (upstream, credential, repository), held for the lifetime
/// and then asked again, bounded.
@Suite struct ClientAccessConfirmationsTests {
    typealias Key = ClientAccessConfirmations.Key
    static let second: Int64 = 1_000_000_000
    static let alice = Key(upstream: "private", credential: String(repeating: "a", count: 64), repository: "team/app")

    @Test func aVerdictHoldsForItsLifetimeAndIsThenForgotten() {
        var table = ClientAccessConfirmations()
        table.record(.allowed, for: Self.alice, lifetimeNanoseconds: 60 * Self.second, now: 1000)
        #expect(table.verdict(for: Self.alice, now: 1000) == .allowed)
        #expect(table.verdict(for: Self.alice, now: 1000 + 60 * Self.second - 1) == .allowed)
        #expect(table.verdict(for: Self.alice, now: 1000 + 60 * Self.second) == nil)
        #expect(table.count == 0)
    }

    @Test func anotherCredentialRepositoryOrUpstreamIsNeverAnsweredByThisOne() {
        var table = ClientAccessConfirmations()
        table.record(.allowed, for: Self.alice, lifetimeNanoseconds: 60 * Self.second, now: 0)
        var other = Self.alice
        other.credential = String(repeating: "b", count: 64)
        #expect(table.verdict(for: other, now: 1) == nil)
        var anonymous = Self.alice
        anonymous.credential = ""
        #expect(table.verdict(for: anonymous, now: 1) == nil)
        var repository = Self.alice
        repository.repository = "team/other"
        #expect(table.verdict(for: repository, now: 1) == nil)
        var upstream = Self.alice
        upstream.upstream = "public"
        #expect(table.verdict(for: upstream, now: 1) == nil)
    }

    @Test func refusalsAreRememberedAndALaterAnswerReplacesAnEarlierOne() {
        var table = ClientAccessConfirmations()
        table.record(.unauthorized, for: Self.alice, lifetimeNanoseconds: 10 * Self.second, now: 0)
        #expect(table.verdict(for: Self.alice, now: 1) == .unauthorized)
        table.record(.denied, for: Self.alice, lifetimeNanoseconds: 10 * Self.second, now: 2)
        #expect(table.verdict(for: Self.alice, now: 3) == .denied)
        table.record(.allowed, for: Self.alice, lifetimeNanoseconds: 10 * Self.second, now: 4)
        #expect(table.verdict(for: Self.alice, now: 10 * Self.second + 3) == .allowed)
    }

    @Test func aLifetimeOfZeroRemembersNothing() {
        var table = ClientAccessConfirmations()
        table.record(.allowed, for: Self.alice, lifetimeNanoseconds: 0, now: 0)
        #expect(table.verdict(for: Self.alice, now: 0) == nil)
        #expect(table.count == 0)
    }

    @Test func atCapacityExpiredEntriesMakeRoomAndLiveOnesAreNeverPushedOut() {
        var table = ClientAccessConfirmations(capacity: 2)
        func key(_ n: Int) -> Key { Key(upstream: "private", credential: "c\(n)", repository: "r") }
        table.record(.allowed, for: key(1), lifetimeNanoseconds: 5, now: 0)
        table.record(.allowed, for: key(2), lifetimeNanoseconds: 100, now: 0)
        table.record(.allowed, for: key(3), lifetimeNanoseconds: 100, now: 10)  // key 1 expired: room
        #expect(table.count == 2)
        #expect(table.verdict(for: key(3), now: 11) == .allowed)
        table.record(.allowed, for: key(4), lifetimeNanoseconds: 100, now: 12)  // full of live ones: not kept
        #expect(table.verdict(for: key(4), now: 13) == nil)
        #expect(table.verdict(for: key(2), now: 13) == .allowed)
        #expect(table.verdict(for: key(3), now: 13) == .allowed)
    }

    /// The shared table behind its lock answers as the pure value does.
    @Test func theSharedTableKeepsVerdictsPerKey() {
        let shared = ClientAccessTable(capacity: 8)
        shared.record(.denied, for: Self.alice, lifetimeNanoseconds: Self.second, now: 0)
        #expect(shared.verdict(for: Self.alice, now: Self.second / 2) == .denied)
        #expect(shared.verdict(for: Self.alice, now: Self.second) == nil)
    }
}
