import CEpoll

/// The harness's clock: CLOCK_MONOTONIC in nanoseconds (the same clock as the timerfd of
/// `Poller`, so deadlines and measurements agree).
public enum BenchClock {
    /// Now, in monotonic nanoseconds.
    @inline(__always)
    public static func nowNs() -> Int64 { cep_monotonic_ns() }
}
