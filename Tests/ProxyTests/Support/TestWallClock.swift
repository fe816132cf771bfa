import Synchronization
@testable import Proxy
@testable import ProxySystem

/// A wall clock that moves only when the test says so: tag freshness (TTL, `max-age`) is
/// tested by advancing it past the TTL instead of sleeping through one.
///
/// Confinement: any thread (an atomic).
final class TestWallClock: WallClock {
    /// Nanoseconds since the Unix epoch.
    private let now: Atomic<Int64>

    /// Starts at `nanosecondsSinceEpoch` (default 2027-01-15T08:00:00Z: any fixed instant).
    init(startingAt nanosecondsSinceEpoch: Int64 = 1_800_000_000 * 1_000_000_000) {
        now = Atomic(nanosecondsSinceEpoch)
    }

    func nanosecondsSinceEpoch() -> Int64 {
        now.load(ordering: .acquiring)
    }

    /// Moves the clock forward by `duration` (whole nanoseconds).
    func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        now.add(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, ordering: .acquiringAndReleasing)
    }
}
