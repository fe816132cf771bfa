/// What the cache may hold: the operator's `--cache-max-size`, `--cache-low-watermark` and
/// `--cache-max-age`, in the units the policy works in.
///
/// Invariant: `0 < lowWatermarkPercent <= 100`; `maximumByteCount`, when set, is positive.
public struct CacheLimits: Sendable, Equatable {
    /// Most bytes everything under the cache directory (except `storage/`) may take; nil = no limit.
    public var maximumByteCount: Int64?
    /// Where eviction stops, as a percentage of `maximumByteCount` (default 90).
    public var lowWatermarkPercent: Int
    /// Content not read for this many nanoseconds is removed; nil = never by age.
    public var maximumAgeNanoseconds: Int64?

    public init(maximumByteCount: Int64? = nil, lowWatermarkPercent: Int = 90, maximumAgeNanoseconds: Int64? = nil) {
        self.maximumByteCount = maximumByteCount
        self.lowWatermarkPercent = lowWatermarkPercent
        self.maximumAgeNanoseconds = maximumAgeNanoseconds
    }

    /// No limit of either kind: nothing is ever evicted.
    public static let unlimited = CacheLimits()

    /// Whether any limit is set.
    public var isLimited: Bool { maximumByteCount != nil || maximumAgeNanoseconds != nil }

    /// The byte count eviction brings usage down to (bytes), nil without a size limit.
    public var lowWatermarkByteCount: Int64? {
        maximumByteCount.map { $0 / 100 * Int64(lowWatermarkPercent) + $0 % 100 * Int64(lowWatermarkPercent) / 100 }
    }
}
