import Histogram

/// Percentiles of one latency histogram, in microseconds (HdrHistogram, 3 significant
/// digits, so every value is within 0.1 % of the recorded one).
public struct LatencySummary: Sendable, Equatable {
    /// Recorded values.
    public var count: UInt64
    /// Median (µs).
    public var p50: UInt64
    /// 99th percentile (µs).
    public var p99: UInt64
    /// 99.9th percentile (µs).
    public var p999: UInt64
    /// Largest recorded value (µs).
    public var max: UInt64

    /// Summarises `histogram` (all zero when it is empty).
    public init(_ histogram: Histogram<UInt64>) {
        count = histogram.totalCount
        guard count > 0 else { p50 = 0; p99 = 0; p999 = 0; max = 0; return }
        p50 = histogram.valueAtPercentile(50)
        p99 = histogram.valueAtPercentile(99)
        p999 = histogram.valueAtPercentile(99.9)
        max = histogram.max
    }

    /// An empty latency histogram: 1 µs to 1 hour, 3 significant digits.
    public static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }
}
