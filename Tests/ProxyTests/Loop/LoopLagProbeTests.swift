import Glibc
import Testing
@testable import ProxyLoop
@testable import ProxySystem

/// The loop-lag probe: the arithmetic of its schedule, and the real probe on a real loop,
/// which must report a blocked loop's delay and an idle loop's promptness.
@Suite struct LoopLagProbeTests {
    @Test func lagIsMeasuredFromTheOldestUnhandledExpiry() {
        var schedule = LagSchedule(firstDue: 1_000, interval: 100)
        #expect(schedule.handled(expirations: 1, now: 1_030) == 30)
        #expect(schedule.nextDue == 1_100)
        // Blocked past three expiries: the oldest (1_100) waited 260 ns.
        #expect(schedule.handled(expirations: 3, now: 1_360) == 260)
        #expect(schedule.nextDue == 1_400)
        // A clock reading before the due time (cannot happen with one clock) reports 0.
        #expect(schedule.handled(expirations: 1, now: 1_390) == 0)
        #expect(schedule.nextDue == 1_500)
    }

    /// Samples reported by a probe, readable from the test's thread.
    final class Samples: @unchecked Sendable {
        private let lock = PThreadLock()
        private var values: [Int64] = []
        func add(_ value: Int64) { lock.withLock { values.append(value) } }
        var all: [Int64] { lock.withLock { values } }
    }

    @Test func aLoopBlockedFor150MillisecondsReportsThatLagAndAnIdleLoopReportsLittle() throws {
        let loop = try EventLoop(index: 0)
        let samples = Samples()
        let probe = LoopLagProbe(loop: loop, interval: .milliseconds(10)) { samples.add($0) }
        try probe.start()
        let thread = LoopThread.spawn(name: "lag-probe-test") { loop.run() }
        defer {
            loop.stop()
            LoopThread.join(thread)
        }
        // Idle: a few samples, each well under the 10 ms interval.
        let idleDeadline = ContinuousClock.now + .seconds(5)
        while samples.all.count < 5, ContinuousClock.now < idleDeadline { usleep(5_000) }
        let idle = samples.all
        try #require(idle.count >= 5)
        #expect(idle.sorted()[idle.count / 2] < 8_000_000, "median idle lag \(idle.sorted()[idle.count / 2]) ns")

        // Blocked: a task holds the loop for 150 ms; the probe's next sample waited about that long.
        let before = samples.all.count
        loop.execute { usleep(150_000) }
        let blockedDeadline = ContinuousClock.now + .seconds(5)
        while !samples.all.dropFirst(before).contains(where: { $0 >= 100_000_000 }), ContinuousClock.now < blockedDeadline {
            usleep(5_000)
        }
        let worst = samples.all.dropFirst(before).max() ?? 0
        #expect(worst >= 100_000_000, "worst lag after blocking: \(worst) ns")
        #expect(worst < 1_000_000_000, "worst lag after blocking: \(worst) ns")
    }
}
