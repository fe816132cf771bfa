import Testing
@testable import Proxy
@testable import ProxyPullThrough
@testable import ProxyUpstream

/// `FillState` without sockets or files: every phase's legal events by table, every illegal
/// (phase, event) pair, idempotent teardown, and resumes bounded by `maximumResumeCount`.
@Suite struct FillStateTests {
    typealias Event = FillState.Event
    typealias Action = FillState.Action
    typealias Phase = FillState.Phase

    static let size: Int64 = 100
    static let reset = UpstreamFailure(.upstreamError("connection reset"))
    static let refused = UpstreamFailure(.upstreamUnavailable("upstream answered 503"))
    static let mismatch = UpstreamFailure(.upstreamError("digest mismatch"))

    /// The actions of a failed fill: nothing cached, waiters told, table left.
    static func teardown(_ failure: UpstreamFailure) -> [Action] {
        [.discardFile, .cancelUpstream, .announce(.failed(failure)), .finish]
    }

    /// A state after `events`, which must all be legal.
    static func state(after events: [Event], cachesToDisk: Bool = true, maximumResumeCount: Int = 5) throws -> FillState {
        var state = FillState(cachesToDisk: cachesToDisk, maximumResumeCount: maximumResumeCount)
        for event in events { _ = try state.handle(event) }
        return state
    }

    /// Events that bring a fresh state (100-byte blob, 40 bytes in) to each phase.
    static let route: [Phase: [Event]] = [
        .awaitingHead: [],
        .streaming: [.receivedHead(.whole(size: size)), .receivedBytes(count: 40)],
        .resuming: [.receivedHead(.whole(size: size)), .receivedBytes(count: 40), .upstreamDropped(reset)],
        .verifying: [.receivedHead(.whole(size: size)), .receivedBytes(count: 100), .upstreamEnded],
        .committing: [.receivedHead(.whole(size: size)), .receivedBytes(count: 100), .upstreamEnded, .verified],
        .committed: [.receivedHead(.whole(size: size)), .receivedBytes(count: 100), .upstreamEnded, .verified, .committed],
        .failed: [.failed(mismatch)],
    ]

    /// One (phase, event) → (phase, actions) row.
    struct Row: CustomTestStringConvertible, Sendable {
        let from: Phase
        let event: Event
        let to: Phase
        let actions: [Action]
        var testDescription: String { "\(from) + \(event) → \(to)" }
    }

    static let legalRows: [Row] = [
        Row(from: .awaitingHead, event: .receivedHead(.whole(size: size)), to: .streaming, actions: [.answerWaiters(size: size)]),
        Row(from: .awaitingHead, event: .receivedHead(.whole(size: nil)), to: .streaming, actions: []),
        Row(from: .awaitingHead, event: .receivedHead(.refused(refused)), to: .failed, actions: teardown(refused)),
        Row(from: .awaitingHead, event: .upstreamDropped(reset), to: .failed, actions: teardown(reset)),
        Row(from: .awaitingHead, event: .failed(mismatch), to: .failed, actions: teardown(mismatch)),
        Row(from: .streaming, event: .receivedBytes(count: 10), to: .streaming, actions: [.store(dropFirst: 0, offset: 40), .publish(writtenByteCount: 50)]),
        Row(from: .streaming, event: .receivedBytes(count: 0), to: .streaming, actions: []),
        Row(from: .streaming, event: .upstreamEnded, to: .resuming, actions: [.cancelUpstream, .resume(from: 40, size: size, attempt: 1)]),
        Row(from: .streaming, event: .upstreamDropped(reset), to: .resuming, actions: [.cancelUpstream, .resume(from: 40, size: size, attempt: 1)]),
        Row(from: .streaming, event: .diskRefused(offset: 30), to: .streaming, actions: [.startMemoryWindow(at: 30)]),
        Row(from: .streaming, event: .failed(mismatch), to: .failed, actions: teardown(mismatch)),
        Row(from: .resuming, event: .receivedHead(.partial(first: 40, last: 99, size: size)), to: .streaming, actions: []),
        Row(from: .resuming, event: .receivedHead(.whole(size: size)), to: .streaming, actions: []),
        Row(from: .resuming, event: .receivedHead(.whole(size: nil)), to: .streaming, actions: []),
        Row(from: .resuming, event: .receivedHead(.refused(refused)), to: .resuming, actions: [.cancelUpstream, .resume(from: 40, size: size, attempt: 2)]),
        Row(from: .resuming, event: .upstreamDropped(reset), to: .resuming, actions: [.cancelUpstream, .resume(from: 40, size: size, attempt: 2)]),
        Row(from: .resuming, event: .failed(mismatch), to: .failed, actions: teardown(mismatch)),
        Row(from: .verifying, event: .verified, to: .committing, actions: [.announce(.verified(size: size)), .commit]),
        Row(from: .verifying, event: .failed(mismatch), to: .failed, actions: teardown(mismatch)),
        Row(from: .committing, event: .committed, to: .committed, actions: [.finish]),
        // A failed commit after the verdict: the bytes stay served, just not cached.
        Row(from: .committing, event: .failed(mismatch), to: .failed, actions: [.discardFile, .finish]),
        // Teardown is idempotent; the phase never goes back.
        Row(from: .committed, event: .committed, to: .committed, actions: []),
        Row(from: .committed, event: .failed(mismatch), to: .committed, actions: []),
        Row(from: .failed, event: .failed(reset), to: .failed, actions: []),
        Row(from: .failed, event: .committed, to: .failed, actions: []),
    ]

    @Test(arguments: legalRows)
    func legalEventMovesThePhaseAndReturnsItsActions(row: Row) throws {
        var state = try Self.state(after: Self.route[row.from]!)
        #expect(state.phase == row.from)
        #expect(try state.handle(row.event) == row.actions)
        #expect(state.phase == row.to)
    }

    /// One sample of every event case.
    static let everyEvent: [Event] = [
        .receivedHead(.whole(size: size)), .receivedBytes(count: 10), .upstreamEnded, .upstreamDropped(reset),
        .diskRefused(offset: 0), .verified, .failed(mismatch), .committed,
    ]

    /// The illegal pairs, as `FillState.handle` lists them.
    static let illegal: [Phase: [Event]] = [
        .awaitingHead: [.receivedBytes(count: 10), .upstreamEnded, .diskRefused(offset: 0), .verified, .committed],
        .streaming: [.receivedHead(.whole(size: size)), .verified, .committed],
        .resuming: [.receivedBytes(count: 10), .upstreamEnded, .diskRefused(offset: 0), .verified, .committed],
        .verifying: [.receivedHead(.whole(size: size)), .receivedBytes(count: 10), .upstreamEnded, .upstreamDropped(reset),
                     .diskRefused(offset: 0), .committed],
        .committing: [.receivedHead(.whole(size: size)), .receivedBytes(count: 10), .upstreamEnded, .upstreamDropped(reset),
                      .diskRefused(offset: 0), .verified],
        .committed: [.receivedHead(.whole(size: size)), .receivedBytes(count: 10), .upstreamEnded, .upstreamDropped(reset),
                     .diskRefused(offset: 0), .verified],
        .failed: [.receivedHead(.whole(size: size)), .receivedBytes(count: 10), .upstreamEnded, .upstreamDropped(reset),
                  .diskRefused(offset: 0), .verified],
    ]

    @Test(arguments: [Phase.awaitingHead, .streaming, .resuming, .verifying, .committing, .committed, .failed])
    func everyIllegalEventThrowsAndLeavesTheStateAsItWas(phase: Phase) throws {
        for event in Self.illegal[phase]! {
            var state = try Self.state(after: Self.route[phase]!)
            let before = state
            #expect(throws: FillState.IllegalEvent(phase: phase, event: event)) { try state.handle(event) }
            #expect(state == before, "\(phase) + \(event)")
        }
        // Every other event of the phase is legal.
        for event in Self.everyEvent where !Self.illegal[phase]!.contains(event) {
            var state = try Self.state(after: Self.route[phase]!)
            #expect(throws: Never.self, "\(phase) + \(event)") { _ = try state.handle(event) }
        }
    }

    @Test func aSecondDiskRefusalIsIllegal() throws {
        var state = try Self.state(after: Self.route[.streaming]! + [.diskRefused(offset: 0)])
        #expect(!state.cachesToDisk)
        #expect(throws: FillState.IllegalEvent.self) { try state.handle(.diskRefused(offset: 0)) }
    }

    @Test func anUncachedFillThatVerifiesIsCommittedWithoutTheStore() throws {
        var state = try Self.state(after: Self.route[.verifying]!, cachesToDisk: false)
        #expect(try state.handle(.verified) == [.discardFile, .announce(.verified(size: Self.size)), .finish])
        #expect(state.phase == .committed)
    }

    @Test func aResumeAnsweredWith200DropsTheBytesAlreadyWritten() throws {
        var state = try Self.state(after: Self.route[.resuming]! + [.receivedHead(.whole(size: Self.size))])
        #expect(state.skipByteCount == 40)
        #expect(try state.handle(.receivedBytes(count: 30)) == [])
        #expect(try state.handle(.receivedBytes(count: 30)) == [.store(dropFirst: 10, offset: 40), .publish(writtenByteCount: 60)])
        #expect(try state.handle(.receivedBytes(count: 40)) == [.store(dropFirst: 0, offset: 60), .publish(writtenByteCount: 100)])
        #expect(try state.handle(.upstreamEnded) == [.verify])
    }

    @Test func aResumeAnswerForOtherBytesIsRetriedAndABlobOfAnotherSizeFails() throws {
        for head in [FillState.Head.partial(first: 0, last: 99, size: Self.size), .partial(first: 40, last: 98, size: Self.size),
                     .partial(first: 40, last: 99, size: 200)] {
            var state = try Self.state(after: Self.route[.resuming]!)
            #expect(try state.handle(.receivedHead(head)) == [.cancelUpstream, .resume(from: 40, size: Self.size, attempt: 2)], "\(head)")
        }
        var state = try Self.state(after: Self.route[.resuming]!)
        #expect(try state.handle(.receivedHead(.whole(size: 200))).last == .finish)
        #expect(state.phase == .failed)
    }

    @Test func aFirstAnswerWith206Fails() throws {
        var state = FillState(cachesToDisk: true)
        #expect(try state.handle(.receivedHead(.partial(first: 0, last: 99, size: Self.size))).last == .finish)
        #expect(state.phase == .failed)
    }

    @Test func moreBytesThanContentLengthFail() throws {
        var state = try Self.state(after: Self.route[.streaming]!)
        let actions = try state.handle(.receivedBytes(count: 61))
        #expect(actions.first == .discardFile && actions.last == .finish)
        #expect(state.phase == .failed)
        #expect(state.writtenByteCount == 40)
    }

    @Test func aDropAfterTheLastByteVerifiesInsteadOfResuming() throws {
        var state = try Self.state(after: [.receivedHead(.whole(size: Self.size)), .receivedBytes(count: 100)])
        #expect(try state.handle(.upstreamDropped(Self.reset)) == [.verify])
        #expect(state.phase == .verifying)
    }

    @Test func withoutAContentLengthTheEndVerifiesAndADropFails() throws {
        var ended = try Self.state(after: [.receivedHead(.whole(size: nil)), .receivedBytes(count: 10)])
        #expect(try ended.handle(.upstreamEnded) == [.verify])
        var dropped = try Self.state(after: [.receivedHead(.whole(size: nil)), .receivedBytes(count: 10)])
        #expect(try dropped.handle(.upstreamDropped(Self.reset)) == Self.teardown(Self.reset))
    }

    @Test(arguments: [0, 1, 5])
    func resumesStopAfterTheMaximumAndTheFillFailsWithTheLastFailure(maximum: Int) throws {
        var state = try Self.state(after: [.receivedHead(.whole(size: Self.size))], maximumResumeCount: maximum)
        var written: Int64 = 0
        for attempt in 1...maximum + 1 {
            _ = try state.handle(.receivedBytes(count: 5))
            written += 5
            let actions = try state.handle(.upstreamDropped(Self.reset))
            if attempt <= maximum {
                #expect(actions == [.cancelUpstream, .resume(from: written, size: Self.size, attempt: attempt)])
                #expect(try state.handle(.receivedHead(.partial(first: written, last: Self.size - 1, size: Self.size))) == [])
            } else {
                #expect(actions == Self.teardown(Self.reset))
            }
        }
        #expect(state.phase == .failed)
        #expect(state.resumeCount == maximum)
    }
}
