import Foundation
import Synchronization
import Testing
@testable import ProxyLoop
@testable import ProxySystem

/// `execute`: a task queued on the loop's own thread runs at the start of the next
/// turn, before that turn's events and without the eventfd post `execute(_:)` makes; one
/// queued while those tasks run waits for the turn after; and a queued task keeps the loop
/// from sleeping in `epoll_wait`.
@Suite struct EventLoopNextTurnTests {
    /// Turns seen by the tasks, in the order they ran. `@unchecked Sendable`: written only
    /// on the loop's thread; read after `done` is signalled from there.
    final class Record: @unchecked Sendable {
        var entries: [(name: String, turn: UInt64)] = []
        var queuedInTurn: UInt64 = 0
        var postedThroughTheInbox = true
        let done = DispatchSemaphore(value: 0)
    }

    @Test func aTaskRunsAtTheStartOfTheNextTurnWithoutAnInboxPost() throws {
        try withRunningLoop { loop in
            let record = Record()
            loop.execute {
                record.queuedInTurn = loop.turn
                loop.execute {
                    record.entries.append(("first", loop.turn))
                    // Queued while next-turn tasks run: one turn later still.
                    loop.execute {
                        record.entries.append(("nested", loop.turn))
                        record.done.signal()
                    }
                }
                loop.deferToEndOfTurn { record.entries.append(("deferred", loop.turn)) }
                record.postedThroughTheInbox = loop.wakeUpPending
            }
            #expect(record.done.wait(timeout: .now() + 10) == .success)
            let turn = record.queuedInTurn
            #expect(!record.postedThroughTheInbox)
            #expect(record.entries.map(\.name) == ["deferred", "first", "nested"])
            #expect(record.entries.map(\.turn) == [turn, turn + 1, turn + 2])
        }
    }

    /// With nothing else to do, a loop waits up to 1 s in `epoll_wait`; a queued task must
    /// not wait for that. Ten chained tasks would take about 10 s if each turn slept.
    @Test func queuedTasksKeepTheLoopFromSleeping() throws {
        try withRunningLoop { loop in
            let done = DispatchSemaphore(value: 0)
            let remaining = Atomic<Int>(10)
            let started = ContinuousClock.now
            @Sendable func step() {
                if remaining.subtract(1, ordering: .relaxed).newValue == 0 {
                    done.signal()
                } else {
                    loop.execute(step)
                }
            }
            loop.execute { loop.execute(step) }
            #expect(done.wait(timeout: .now() + 30) == .success)
            #expect(ContinuousClock.now - started < .seconds(5), "each queued turn slept in epoll_wait")
        }
    }
}

/// The end of a loop: what its last turn queued still runs, and once `run()` has returned no
/// thread counts as the loop's (thread ids are reused, and a stale one would let another
/// thread into loop-only state).
@Suite struct EventLoopEndTests {
    @Test func aTaskQueuedForTheNextTurnAsTheLoopStopsStillRuns() throws {
        let ran = DispatchSemaphore(value: 0)
        try withRunningLoop { loop in
            loop.execute {
                loop.execute { ran.signal() }
                loop.stop()
            }
            #expect(ran.wait(timeout: .now() + 10) == .success, "a fill's last change was dropped at stop")
        }
    }

    @Test func noThreadIsTheLoopsOnceRunHasReturned() throws {
        let loop = try EventLoop(index: 0)
        let thread = LoopThread.spawn(name: "ended-loop") { loop.run() }
        #expect(onLoop(loop) { loop.inLoop } == true)
        loop.stop()
        LoopThread.join(thread)
        // New threads often get the ended thread's id; none of them may pass `inLoop`.
        let passed = Atomic<Int>(0)
        for _ in 0..<20 {
            LoopThread.join(LoopThread.spawn(name: "after-loop") {
                if loop.inLoop { passed.add(1, ordering: .relaxed) }
            })
        }
        #expect(passed.load(ordering: .relaxed) == 0)
    }
}
