import Testing
@testable import ProxyLoop
@testable import ProxyPullThrough
@testable import ProxyRegistry

/// A loop's `FillObservers` holds a fill (its file descriptor, or its memory window of up to
/// 32 MiB) only while some waiter on the loop observes it: once the last live waiter leaves,
/// the fill's entry goes, even if another waiter was freed without leaving first.
@Suite struct FillObserversReleaseTests {
    static func makeFill() throws -> Fill {
        Fill(digest: try Digest(parsing: "sha256:" + String(repeating: "c", count: 64)), upstreamName: "upstream",
             repository: try RepositoryName(parsing: "team/app"), file: nil, temporaryPath: nil)
    }

    @Test func aFillIsReleasedWhenItsLastLiveWaiterLeavesAfterAnotherWasFreedWhileObserving() throws {
        let observers = FillObservers(loop: try EventLoop(index: 0))
        weak var released: Fill?
        do {
            let fill = try Self.makeFill()
            released = fill
            // Both observe; then one is freed without leaving (its closure does not hold it,
            // nothing cancels it) while the other lives, so no address is reused.
            var freed: Waiter? = Waiter(fill: fill, observers: observers)
            freed?.whenChanged { _ in }
            let kept = Waiter(fill: fill, observers: observers)
            kept.whenChanged { _ in }
            freed = nil
            #expect(freed == nil)
            #expect(observers.fillCount == 1)
            kept.cancel()
        }
        #expect(observers.fillCount == 0, "an entry of freed waiters only is kept until a change that never comes")
        #expect(released == nil, "the observers still hold the fill")
    }
}
