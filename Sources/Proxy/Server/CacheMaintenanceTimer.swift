import ProxyLoop
import ProxyStore
import ProxySystem
/// Queues the cache's periodic work (``CacheEviction/scheduleMaintenance(checkAge:)``: the
/// overhead measured, an eviction pass when over the size limit or, every
/// `ticksPerAgeCheck` ticks, for the age limit, and an index write when one is due) on the
/// I/O pool every `interval`, from a timer on one loop. The loop only queues; the pool does the
/// disk work.
///
/// Confinement: loop-confined to `loop`.
final class CacheMaintenanceTimer: TimerTarget {
    private let loop: EventLoop
    private let cache: CacheEviction
    private let intervalNanoseconds: Int64
    private var tickCount = 0
    /// Ticks between two age checks (each lists every entry, so not every tick).
    static let ticksPerAgeCheck = 12

    init(loop: EventLoop, cache: CacheEviction, interval: Duration) {
        self.loop = loop
        self.cache = cache
        intervalNanoseconds = max(1_000_000, MonotonicClock.nanoseconds(interval))
    }

    /// Arms the first tick. Loop thread only.
    func start() {
        loop.arm(self, at: MonotonicClock.now() + intervalNanoseconds)
    }

    func timerFired(now: Int64) {
        tickCount += 1
        cache.scheduleMaintenance(checkAge: tickCount % Self.ticksPerAgeCheck == 0)
        loop.arm(self, at: now + intervalNanoseconds)
    }
}
