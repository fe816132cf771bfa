import CEpoll

/// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`), the unit every timer and
/// deadline in the loops uses.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point.
    @inline(__always)
    public static func now() -> Int64 { cep_monotonic_ns() }

    /// Nanoseconds in `duration` (saturating).
    @inline(__always)
    public static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? Int64.min / 2 : Int64.max / 2 }
        return ns &+ attoseconds / 1_000_000_000
    }
}
