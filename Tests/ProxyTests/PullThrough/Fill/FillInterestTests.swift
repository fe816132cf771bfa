import Foundation
import Testing
@testable import ProxyLoop
@testable import ProxyPullThrough
@testable import ProxySystem

/// How a fill's progress reaches each interested loop: from the loop's own thread (where the
/// fill's upstream connection usually lives) at the start of the next turn, without an
/// eventfd post;
/// from another thread through the loop's inbox; coalesced either way, so a loop that has
/// not handled one notification gets no second.
@Suite struct FillInterestTests {
    /// Records the loop turn of each change it sees.
    ///
    /// `@unchecked Sendable`: created and read through `onLoop`, so only the loop's thread
    /// touches `turns` while the loop runs; the test reads it after the loop has stopped.
    final class TurnObserver: FillObserver, @unchecked Sendable {
        let loop: EventLoop
        var turns: [UInt64] = []

        init(loop: EventLoop) {
            self.loop = loop
        }

        func fillChanged(_ fill: Fill) {
            turns.append(loop.turn)
        }
    }

    /// `@unchecked Sendable` box for the loop-confined `FillObservers`: made and used on the
    /// loop's thread only (through `onLoop`).
    final class ObserversBox: @unchecked Sendable {
        var observers: FillObservers?
    }

    @Test func changesPublishedOnTheObserversLoopArriveNextTurnCoalescedWithoutAnInboxPost() throws {
        try withRunningLoop { loop in
            let fill = try FillObserversTests.makeFill()
            let observer = TurnObserver(loop: loop)
            let box = ObserversBox()
            let published = onLoop(loop) { () -> (turn: UInt64, posted: Bool) in
                let observers = FillObservers(loop: loop)
                box.observers = observers
                observers.add(observer, to: fill)
                fill.published(writtenBytes: 1)
                fill.published(writtenBytes: 2)  // coalesced with the first: one change
                return (loop.turn, loop.wakeUpPending)
            }
            // onLoop's own task ran in `published.turn`; this one is queued after it.
            let turns = onLoop(loop) { observer.turns }
            #expect(published?.posted == false, "a same-loop change went through the eventfd")
            #expect(turns == [published!.turn + 1], "one change, delivered at the start of the next turn")
        }
    }

    @Test func changesPublishedFromAnotherThreadArriveOnTheLoopOncePerPendingWakeUp() throws {
        try withRunningLoop { loop in
            let fill = try FillObserversTests.makeFill()
            let observer = TurnObserver(loop: loop)
            let box = ObserversBox()
            let registered = onLoop(loop) { () -> UInt64 in
                let observers = FillObservers(loop: loop)
                box.observers = observers
                observers.add(observer, to: fill)
                return loop.turn
            }
            // Held on the loop, so both notifications are queued before either runs.
            let hold = DispatchSemaphore(value: 0), holding = DispatchSemaphore(value: 0)
            loop.execute { holding.signal(); hold.wait() }
            #expect(holding.wait(timeout: .now() + 10) == .success)
            fill.published(writtenBytes: 1)
            fill.published(writtenBytes: 2)
            hold.signal()
            let turns = onLoop(loop) { observer.turns }  // after the queued change (FIFO inbox)
            #expect(turns?.count == 1, "two notifications while one was pending: one change")
            #expect((turns?.first ?? 0) > (registered ?? .max))
            fill.published(writtenBytes: 3)
            let later = onLoop(loop) { observer.turns }
            #expect(later?.count == 2, "a notification after the first was handled is delivered again")
        }
    }
}
