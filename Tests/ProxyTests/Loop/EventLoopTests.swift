import CEpoll
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Proxy
@testable import ProxyLoop
@testable import ProxySystem

/// The event loop on its own: cross-thread tasks run on the loop's thread
/// exactly once each, timers fire at (not before) their deadline and only for
/// live targets, and readiness reaches the registered handler until it is
/// deregistered.
@Suite struct EventLoopTests {
    /// Waits (at most 10 s) for one `signal()` of `semaphore`: the real condition, posted by
    /// whoever makes it true.
    private func waitFor(_ semaphore: DispatchSemaphore) -> Bool {
        semaphore.wait(timeout: .now() + 10) == .success
    }

    /// Returns once `loop` has run a whole turn after this call: a task that posts a second
    /// task runs that one in the next turn, after every event the first turn's `epoll_wait`
    /// returned has been dispatched.
    private func waitForAFullTurn(of loop: EventLoop) -> Bool {
        let turned = DispatchSemaphore(value: 0)
        loop.execute { loop.execute { turned.signal() } }
        return waitFor(turned)
    }

    @Test func tasksFromManyThreadsEachRunOnceOnTheLoopThread() throws {
        try withRunningLoop { loop in
            let ran = Atomic<Int>(0)
            let offLoop = Atomic<Int>(0)
            let allRan = DispatchSemaphore(value: 0)
            let threads = (0..<4).map { _ in
                LoopThread.spawn(name: "producer") {
                    for _ in 0..<1000 {
                        loop.execute {
                            if !loop.inLoop { offLoop.add(1, ordering: .relaxed) }
                            if ran.add(1, ordering: .relaxed).newValue == 4000 { allRan.signal() }
                        }
                    }
                }
            }
            threads.forEach(LoopThread.join)
            #expect(waitFor(allRan))
            #expect(ran.load(ordering: .relaxed) == 4000)
            #expect(offLoop.load(ordering: .relaxed) == 0)
        }
    }

    final class DroppedTimer: TimerTarget {
        func timerFired(now: Int64) { Issue.record("a released timer target was called") }
    }

    final class RecordingTimer: TimerTarget, Sendable {
        let firedAt = Atomic<Int64>(0)
        let fired = DispatchSemaphore(value: 0)
        func timerFired(now: Int64) {
            firedAt.store(now, ordering: .relaxed)
            fired.signal()
        }
    }

    @Test func timersFireAtTheirDeadlineAndNeverForReleasedTargets() throws {
        try withRunningLoop { loop in
            let kept = RecordingTimer()
            let armedAt = MonotonicClock.now()
            let deadline = armedAt + 50_000_000
            loop.execute {
                loop.arm(kept, at: deadline)
                // A target that is gone before its deadline is never called.
                loop.arm(DroppedTimer(), at: deadline)
            }
            #expect(waitFor(kept.fired))
            let fired = kept.firedAt.load(ordering: .relaxed)
            #expect(fired >= deadline)
            if ProcessInfo.processInfo.environment["CISTERN_SANITIZER"] == nil {
                #expect(fired - deadline < 2_000_000_000)
            }
        }
    }

    /// `@unchecked Sendable`: `fd` is immutable and `count` atomic; the
    /// handler is only called on the loop thread.
    final class CountingHandler: EventHandler, @unchecked Sendable {
        let count = Atomic<Int>(0)
        /// Signalled once the count reaches `expected`.
        let reached = DispatchSemaphore(value: 0)
        let expected: Int
        let fd: Int32
        init(fd: Int32, expected: Int) {
            self.fd = fd
            self.expected = expected
        }
        func handleEvents(_ events: EventLoop.Events) {
            var byte: UInt8 = 0
            while read(fd, &byte, 1) == 1 {
                if count.add(1, ordering: .relaxed).newValue == expected { reached.signal() }
            }
        }
    }

    @Test func readinessReachesTheHandlerUntilItIsDeregistered() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        let watched = pair[0]
        try withRunningLoop { loop in
            let handler = CountingHandler(fd: pair[0], expected: 3)
            let registration = Locked<Registration?>(nil)
            let registered = DispatchSemaphore(value: 0)
            loop.execute {
                registration.withLock { $0 = try? loop.register(fd: watched, events: [.readable], handler: handler) }
                registered.signal()
            }
            #expect(waitFor(registered))
            #expect(registration.withLock { $0 } != nil)
            _ = write(pair[1], "abc", 3)
            #expect(waitFor(handler.reached))
            #expect(handler.count.load(ordering: .relaxed) == 3)

            let deregistered = DispatchSemaphore(value: 0)
            loop.execute {
                if let value = registration.withLock({ $0 }) { loop.deregister(fd: watched, registration: value) }
                deregistered.signal()
            }
            #expect(waitFor(deregistered))
            _ = write(pair[1], "d", 1)
            // The byte is readable before the next turn starts: had the registration
            // survived, that turn would have dispatched it.
            #expect(waitForAFullTurn(of: loop))
            #expect(handler.count.load(ordering: .relaxed) == 3)
        }
    }
}
