import CEpoll

/// The wall clock that tag freshness is measured on (tag TTL, `Cache-Control: max-age`):
/// nanoseconds since the Unix epoch. Wall rather than monotonic time because tag records
/// are persisted and their age must survive a restart. Injectable (``SharedServices``) so
/// that tests move time instead of sleeping through a TTL.
public protocol WallClock: Sendable {
    /// The current time in nanoseconds since 1970-01-01T00:00:00Z. Any thread.
    func nanosecondsSinceEpoch() -> Int64
}

/// The system's real-time clock (`clock_gettime(CLOCK_REALTIME)`).
public struct SystemWallClock: WallClock {
    public init() {}

    public func nanosecondsSinceEpoch() -> Int64 {
        cep_realtime_ns()
    }
}
