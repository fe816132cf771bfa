#if canImport(Glibc)
import Glibc
#endif

/// Time arithmetic for test support: `Duration` conversions and a plain sleep.
///
/// Static functions on a caseless enum rather than extensions on `Duration`, so that they
/// cannot collide with extensions the `Proxy` module may declare.
enum TestTime {
    /// `duration` in whole milliseconds, rounded up (so a positive wait never becomes 0);
    /// negative durations give 0 or less.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let remainder = attoseconds % 1_000_000_000_000_000
        return Int(milliseconds) + (remainder > 0 ? 1 : 0)
    }

    /// `duration` in seconds as a floating-point number.
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Blocks the calling thread for `duration` (no-op when not positive).
    static func sleep(_ duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}
