import Synchronization
import Testing
@testable import Proxy
@testable import ProxyPullThrough
@testable import ProxyRegistry
@testable import ProxySystem

/// `FillTable`: one fill per digest whatever the interleaving, with the store check and the
/// file's creation outside the table's lock.
@Suite struct FillTableTests {
    static let digest = try! Digest(parsing: "sha256:" + String(repeating: "b", count: 64))

    static func makeFill() -> Fill {
        Fill(digest: digest, upstreamName: "upstream", repository: try! RepositoryName(parsing: "team/app"), file: nil, temporaryPath: nil)
    }

    @Test func theFirstRequestStartsAndTheNextJoins() throws {
        let table = FillTable()
        guard case .started(let fill) = try table.joinOrStart(Self.digest, isCommitted: { false }, create: Self.makeFill, discard: { _ in }) else {
            Issue.record("the first request did not start a fill")
            return
        }
        guard case .joined(let joined) = try table.joinOrStart(Self.digest, isCommitted: { false }, create: Self.makeFill, discard: { _ in }) else {
            Issue.record("the second request did not join")
            return
        }
        #expect(joined === fill)
        #expect(table.count == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func theStoreCheckAndTheCreationRunOutsideTheLock() throws {
        let table = FillTable()
        // `running` and `count` take the table's lock: were it held here, these calls would
        // deadlock (and the time limit end the test).
        let lookup = try table.joinOrStart(Self.digest, isCommitted: {
            _ = table.running(Self.digest)
            return false
        }) { () throws(SystemError) -> Fill in
            _ = table.count
            return Self.makeFill()
        } discard: { _ in }
        guard case .started = lookup else {
            Issue.record("expected a started fill")
            return
        }
    }

    @Test func aFillStartedWhileThisOneWasBeingCreatedIsJoinedAndThisOneDiscarded() throws {
        let table = FillTable()
        var other: Fill?
        var discarded: [Fill] = []
        let lookup = try table.joinOrStart(Self.digest, isCommitted: { false }) { () throws(SystemError) -> Fill in
            // Another loop gets in first, between our check and our insertion.
            if case .started(let fill) = try table.joinOrStart(Self.digest, isCommitted: { false }, create: Self.makeFill, discard: { _ in }) {
                other = fill
            }
            return Self.makeFill()
        } discard: { discarded.append($0) }
        guard case .joined(let joined) = lookup else {
            Issue.record("expected to join the other fill, got \(lookup)")
            return
        }
        #expect(joined === other)
        #expect(discarded.count == 1 && discarded.first !== other)
        #expect(table.count == 1)
    }

    @Test func aFillThatCommittedWhileThisOneWasBeingCreatedIsFoundInTheStore() throws {
        let table = FillTable()
        var stored = false
        var checks = 0
        var discarded = 0
        let lookup = try table.joinOrStart(Self.digest, isCommitted: {
            checks += 1
            return stored
        }) { () throws(SystemError) -> Fill in
            // Another fill starts, commits (the store has it) and leaves the table, all after our store check.
            if case .started(let fill) = try table.joinOrStart(Self.digest, isCommitted: { false }, create: Self.makeFill, discard: { _ in }) {
                stored = true
                table.remove(fill)
            }
            return Self.makeFill()
        } discard: { _ in discarded += 1 }
        guard case .committed = lookup else {
            Issue.record("a second fill started for a committed blob: \(lookup)")
            return
        }
        #expect(checks == 2)
        #expect(discarded == 1)
        #expect(table.count == 0)
    }

    @Test func anotherDigestsFillEndingOnlyCostsAStoreCheck() throws {
        let table = FillTable()
        let otherDigest = try Digest(parsing: "sha256:" + String(repeating: "c", count: 64))
        var checks = 0
        let lookup = try table.joinOrStart(Self.digest, isCommitted: {
            checks += 1
            return false
        }) { () throws(SystemError) -> Fill in
            let other = Fill(digest: otherDigest, upstreamName: "upstream", repository: try! RepositoryName(parsing: "team/app"),
                             file: nil, temporaryPath: nil)
            _ = try table.joinOrStart(otherDigest, isCommitted: { false }, create: { other }, discard: { _ in })
            table.remove(other)
            return Self.makeFill()
        } discard: { _ in }
        guard case .started = lookup else {
            Issue.record("expected a started fill, got \(lookup)")
            return
        }
        #expect(checks == 2)
    }

    @Test func manyThreadsAtOnceStartOneFill() throws {
        let table = FillTable()
        let started = Atomic<Int>(0)
        let created = Atomic<Int>(0)
        let discarded = Atomic<Int>(0)
        let threads = (0..<16).map { _ in
            TestThread.start {
                for _ in 0..<200 {
                    let lookup = try? table.joinOrStart(Self.digest, isCommitted: { false }) { () throws(SystemError) -> Fill in
                        created.add(1, ordering: .relaxed)
                        return Self.makeFill()
                    } discard: { _ in discarded.add(1, ordering: .relaxed) }
                    if case .started = lookup { started.add(1, ordering: .relaxed) }
                }
            }
        }
        for thread in threads { thread.join() }
        #expect(started.load(ordering: .relaxed) == 1)
        #expect(created.load(ordering: .relaxed) == discarded.load(ordering: .relaxed) + 1)
        #expect(table.count == 1)
    }
}
