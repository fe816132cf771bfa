import Testing
@testable import Proxy
@testable import ProxyLoop
@testable import ProxyPullThrough
@testable import ProxyRegistry
@testable import ProxyTransport
@testable import ProxyUpstream

/// A `Waiter` over an uncached fill (its bytes in a memory window), driven by hand: its
/// offset moves only by what the connection reports sent, its segments are the bytes at that
/// offset, the blob's last byte comes with the verdict, and a failed fill aborts.
@Suite struct WaiterTests {
    static let blob: [UInt8] = (0..<100).map { UInt8($0) }

    static func makeFill() throws -> Fill {
        Fill(digest: try Digest(parsing: "sha256:" + String(repeating: "a", count: 64)), upstreamName: "upstream",
             repository: try RepositoryName(parsing: "team/app"), file: nil, temporaryPath: nil)
    }

    /// Appends `blob[range]` to the fill's window and publishes the written count.
    static func land(_ range: Range<Int>, in fill: Fill) {
        let appended = blob[range].withUnsafeBytes { fill.memoryWindow!.append($0) }
        #expect(appended)
        fill.published(writtenBytes: Int64(range.upperBound))
    }

    /// The bytes of a `.bytes` segment, nil for any other segment.
    static func bytes(_ segment: BodySegment) -> [UInt8]? {
        if case .bytes(let buffer) = segment { return Array(buffer) }
        return nil
    }

    static func isWait(_ segment: BodySegment) -> Bool {
        if case .wait = segment { return true }
        return false
    }

    @Test func offsetsMoveBySentBytesAndTheLastByteWaitsForTheVerdict() throws {
        let loop = try EventLoop(index: 0)
        let fill = try Self.makeFill()
        let waiter = Waiter(fill: fill, observers: FillObservers(loop: loop))
        waiter.start(offset: 10, end: 100)
        #expect(waiter.offset == 10 && waiter.end == 100)
        #expect(Self.isWait(waiter.nextSegment()))

        fill.answerWaiters(size: 100)
        Self.land(0..<60, in: fill)
        #expect(Self.bytes(waiter.nextSegment()) == Array(Self.blob[10..<60]))
        waiter.consumed(20)  // a partial write: the rest comes again from the same copy
        #expect(waiter.offset == 30)
        #expect(Self.bytes(waiter.nextSegment()) == Array(Self.blob[30..<60]))
        waiter.consumed(30)
        #expect(Self.isWait(waiter.nextSegment()))

        Self.land(60..<100, in: fill)
        #expect(Self.bytes(waiter.nextSegment()) == Array(Self.blob[60..<99]))
        waiter.consumed(39)
        #expect(waiter.offset == 99)
        #expect(Self.isWait(waiter.nextSegment()), "the last byte before the verdict")

        fill.announce(.verified(size: 100))
        #expect(Self.bytes(waiter.nextSegment()) == [99])
        waiter.consumed(1)
        if case .end = waiter.nextSegment() {} else { Issue.record("not at the end after the last byte") }
    }

    @Test func aFailedFillAbortsTheWaiterAndAVerdictIsNeverTakenBack() throws {
        let loop = try EventLoop(index: 0)
        let fill = try Self.makeFill()
        let waiter = Waiter(fill: fill, observers: FillObservers(loop: loop))
        waiter.start(offset: 0, end: 100)
        fill.answerWaiters(size: 100)
        Self.land(0..<100, in: fill)
        fill.announce(.failed(UpstreamFailure(.upstreamError("digest mismatch"))))
        fill.announce(.verified(size: 100))
        fill.answerWaiters(size: 100)
        if case .abort = waiter.nextSegment() {} else { Issue.record("a failed fill must abort its waiters") }
        guard case .failed = fill.phase else {
            Issue.record("phase went back to \(fill.phase)")
            return
        }
    }

    @Test func aRangeThatEndsBeforeTheLastByteDoesNotWaitForTheVerdict() throws {
        let loop = try EventLoop(index: 0)
        let fill = try Self.makeFill()
        let waiter = Waiter(fill: fill, observers: FillObservers(loop: loop))
        waiter.start(offset: 90, end: 95)
        fill.answerWaiters(size: 100)
        Self.land(0..<100, in: fill)
        #expect(Self.bytes(waiter.nextSegment()) == Array(Self.blob[90..<95]))
        waiter.consumed(5)
        if case .end = waiter.nextSegment() {} else { Issue.record("not at the end of the range") }
    }
}
