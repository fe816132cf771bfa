import ProxyIO
import ProxyLoop
import ProxyStorage
import ProxySystem

/// Removes abandoned upload sessions (issue 16: `--upload-timeout`, default 1 h): every
/// quarter of the timeout (between 50 ms and 1 min) a sweep of the storage's sessions is
/// queued on the I/O pool, which unlinks the data of every session untouched for the timeout.
///
/// Confinement: loop-confined to `loop`.
final class UploadSweepTimer: TimerTarget {
    private let loop: EventLoop
    private let uploads: UploadSessions
    private let pool: IOPool
    private let intervalNanoseconds: Int64

    init(loop: EventLoop, uploads: UploadSessions, pool: IOPool, uploadTimeout: Duration) {
        self.loop = loop
        self.uploads = uploads
        self.pool = pool
        intervalNanoseconds = min(max(MonotonicClock.nanoseconds(uploadTimeout) / 4, 50_000_000), 60_000_000_000)
    }

    /// Arms the first sweep. Loop thread only (or before the loop runs).
    func start() {
        loop.arm(self, at: MonotonicClock.now() + intervalNanoseconds)
    }

    func timerFired(now: Int64) {
        let uploads = self.uploads
        _ = pool.submit(key: 0) { uploads.sweep(now: MonotonicClock.now()) }
        loop.arm(self, at: now + intervalNanoseconds)
    }
}
