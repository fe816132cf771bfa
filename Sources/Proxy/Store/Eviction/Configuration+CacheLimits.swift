import ProxyConfig
import ProxySystem

extension Configuration {
    /// The cache limits these settings give (`cache_max_size`, `cache_low_watermark`,
    /// `cache_max_age`; 0 = no limit). Here rather than in ProxyConfig, which sits below the
    /// store and must not import it.
    public var cacheLimits: CacheLimits {
        CacheLimits(maximumByteCount: cacheMaxSize > 0 ? cacheMaxSize : nil, lowWatermarkPercent: cacheLowWatermark,
                    maximumAgeNanoseconds: cacheMaxAge > .zero ? MonotonicClock.nanoseconds(cacheMaxAge) : nil)
    }
}
