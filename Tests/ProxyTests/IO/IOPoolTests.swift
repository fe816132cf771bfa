import Foundation
import Testing
@testable import Proxy
@testable import ProxyIO
@testable import ProxyLoop
@testable import ProxySystem

/// The I/O pool on its own: work runs off the loops, each result is posted to the loop that
/// asked for it, jobs with one key run (and report) in submission order, jobs with different
/// keys run in parallel, a full lane refuses instead of growing, and `stop()` runs what was
/// accepted before ending.
@Suite struct IOPoolTests {
    /// A latch a pool job can wait on: closed until `open()`, then open for every waiter.
    /// Waits are bounded, so a broken test fails instead of hanging.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        func open() { semaphore.signal() }
        @discardableResult
        func wait(seconds: Double = 10) -> Bool {
            guard semaphore.wait(timeout: .now() + seconds) == .success else { return false }
            semaphore.signal()  // Pass the token on: once open, open for everyone.
            return true
        }
    }

    /// Two running loops for the duration of `body`.
    private func withTwoLoops(_ body: (EventLoop, EventLoop) throws -> Void) throws {
        let first = try EventLoop(index: 0)
        let second = try EventLoop(index: 1)
        let threads = [first, second].map { loop in LoopThread.spawn(name: "test-loop") { loop.run() } }
        defer {
            first.stop()
            second.stop()
            threads.forEach(LoopThread.join)
        }
        try body(first, second)
    }

    @Test func resultsReachTheRequestingLoopInSubmissionOrderForOneKeyAndWorkRunsOffTheLoops() throws {
        let pool = IOPool(name: "test-io", threadCount: 2, laneCapacity: 1000)
        defer { pool.stop() }
        try withTwoLoops { first, second in
            struct Seen: Sendable {
                var onFirst: [Int] = []
                var onSecond: [Int] = []
                var wrongLoop = 0
                var workOnALoop = 0
            }
            let seen = Locked(Seen())
            let allDone = Gate()
            let count = 400
            for index in 0..<count {
                let loop = index % 2 == 0 ? first : second
                let accepted = pool.submit(key: 7, reportingTo: loop, { () -> Int in
                    if first.inLoop || second.inLoop { seen.withLock { $0.workOnALoop += 1 } }
                    return index
                }, completion: { value in
                    let finished = seen.withLock { seen -> Bool in
                        if !loop.inLoop { seen.wrongLoop += 1 }
                        if loop === first { seen.onFirst.append(value) } else { seen.onSecond.append(value) }
                        return seen.onFirst.count + seen.onSecond.count == count
                    }
                    if finished { allDone.open() }
                })
                #expect(accepted)
            }
            #expect(allDone.wait())
            let result = seen.withLock { $0 }
            #expect(result.onFirst == Array(stride(from: 0, to: count, by: 2)))
            #expect(result.onSecond == Array(stride(from: 1, to: count, by: 2)))
            #expect(result.wrongLoop == 0)
            #expect(result.workOnALoop == 0)
        }
    }

    @Test func jobsOnDifferentLanesRunAtTheSameTime() {
        let pool = IOPool(name: "test-io", threadCount: 2, laneCapacity: 4)
        defer { pool.stop() }
        #expect(pool.laneIndex(forKey: 0) != pool.laneIndex(forKey: 1))
        // Each job waits for the other to have started: only two threads at once get through.
        let firstStarted = Gate()
        let secondStarted = Gate()
        let met = Locked(0)
        let bothDone = DispatchSemaphore(value: 0)
        pool.submit(key: 0) {
            firstStarted.open()
            if secondStarted.wait() { met.withLock { $0 += 1 } }
            bothDone.signal()
        }
        pool.submit(key: 1) {
            secondStarted.open()
            if firstStarted.wait() { met.withLock { $0 += 1 } }
            bothDone.signal()
        }
        #expect(bothDone.wait(timeout: .now() + 10) == .success && bothDone.wait(timeout: .now() + 10) == .success)
        #expect(met.withLock { $0 } == 2)
    }

    @Test func aFullLaneRefusesWithoutRunningTheJobAndAcceptsAgainOnceDrained() {
        let pool = IOPool(name: "test-io", threadCount: 1, laneCapacity: 3)
        defer { pool.stop() }
        let release = Gate()
        let ran = Locked<[String]>([])
        #expect(pool.submit(key: 0) { release.wait(); ran.withLock { $0.append("blocker") } })
        #expect(pool.submit(key: 1) { ran.withLock { $0.append("a") } })
        #expect(pool.submit(key: 2) { ran.withLock { $0.append("b") } })
        // The blocker runs and the two others wait: the lane holds its capacity.
        #expect(!pool.submit(key: 3) { ran.withLock { $0.append("refused") } })
        release.open()
        pool.waitUntilIdle()
        #expect(ran.withLock { $0 } == ["blocker", "a", "b"])
        #expect(pool.submit(key: 4) { ran.withLock { $0.append("after") } })
        pool.waitUntilIdle()
        #expect(ran.withLock { $0 } == ["blocker", "a", "b", "after"])
    }

    @Test func stopRunsEveryAcceptedJobThenRefusesNewOnes() {
        let pool = IOPool(name: "test-io", threadCount: 2, laneCapacity: 100)
        let release = Gate()
        let ran = Locked(0)
        pool.submit(key: 0) { release.wait() }
        for key in 0..<50 { #expect(pool.submit(key: key) { ran.withLock { $0 += 1 } }) }
        release.open()
        pool.stop()
        #expect(ran.withLock { $0 } == 50)
        #expect(!pool.submit(key: 0) { ran.withLock { $0 += 1 } })
        pool.stop()  // Idempotent.
        pool.waitUntilIdle()  // Returns at once on a stopped pool.
        #expect(ran.withLock { $0 } == 50)
    }
}
