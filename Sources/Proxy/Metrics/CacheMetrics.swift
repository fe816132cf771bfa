import Prometheus
import ProxySystem

/// The bounded-disk series (README "Operating"):
/// - `cistern_cache_bytes`: bytes counted against `--cache-max-size` (content, directories,
///   reservations of fills in progress, evicted files still open), read at each scrape;
/// - `cistern_cache_limit_bytes`: `--cache-max-size` (0 = no limit);
/// - `cistern_cache_entries`: digests the index holds;
/// - `cistern_cache_evictions_total` / `cistern_cache_evicted_bytes_total`: entries removed
///   by size or age, and their bytes;
/// - `cistern_cache_evicted_held_bytes`: bytes of evicted files that readers still have open
///   (freed on disk when the last one closes);
/// - `cistern_cache_bypassed_fills_total`: blobs streamed to clients without being cached
///   because no room could be made for them;
/// - `cistern_cache_fills_waiting_for_room`: fills holding their upstream body until an
///   eviction pass has freed the room they reserved.
///
/// Counters are relaxed atomic adds (any thread); gauges are read from `source` per scrape.
public final class CacheMetrics: Sendable {
    /// What the gauges show: usage, limit, held bytes and entries.
    public typealias Reading = @Sendable () -> (usage: Int64, limit: Int64, held: Int64, entries: Int, waitingFills: Int)

    private let usageBytes: Gauge
    private let limitBytes: Gauge
    private let entries: Gauge
    private let heldBytes: Gauge
    private let waitingFills: Gauge
    private let evictions: Counter
    private let evictedBytes: Counter
    private let bypassedFills: Counter
    private let source = Locked<Reading?>(nil)

    init(registry: PrometheusCollectorRegistry) {
        usageBytes = registry.makeGauge(descriptor: Metrics.descriptor(
            "cache_bytes", help: "Bytes under the cache directory counted against --cache-max-size."))
        limitBytes = registry.makeGauge(descriptor: Metrics.descriptor(
            "cache_limit_bytes", help: "The --cache-max-size limit in bytes (0 = no limit)."))
        entries = registry.makeGauge(descriptor: Metrics.descriptor(
            "cache_entries", help: "Digests (blobs and manifests) in the cache index."))
        heldBytes = registry.makeGauge(descriptor: Metrics.descriptor(
            "cache_evicted_held_bytes", help: "Bytes of evicted files still open for reading."))
        waitingFills = registry.makeGauge(descriptor: Metrics.descriptor(
            "cache_fills_waiting_for_room", help: "Fills holding their upstream body until eviction has freed their room."))
        evictions = registry.makeCounter(descriptor: Metrics.descriptor(
            "cache_evictions_total", help: "Cache entries removed by the size or age limit."))
        evictedBytes = registry.makeCounter(descriptor: Metrics.descriptor(
            "cache_evicted_bytes_total", help: "Bytes of cache entries removed by the size or age limit."))
        bypassedFills = registry.makeCounter(descriptor: Metrics.descriptor(
            "cache_bypassed_fills_total", help: "Blobs streamed without caching because the cache had no room."))
    }

    /// Sets where the gauges are read from (the server's cache index).
    public func setSource(_ reading: @escaping Reading) {
        source.withLock { $0 = reading }
    }

    /// Reads the gauges (scrape time).
    func refresh() {
        guard let reading = source.withLock({ $0 }) else { return }
        let value = reading()
        usageBytes.set(value.usage)
        limitBytes.set(value.limit)
        heldBytes.set(value.held)
        entries.set(Int64(value.entries))
        waitingFills.set(Int64(value.waitingFills))
    }

    /// `count` entries of `byteCount` bytes in all were evicted.
    public func evicted(count: Int, byteCount: Int64) {
        evictions.increment(by: Int64(count))
        evictedBytes.increment(by: byteCount)
    }

    /// A fill streamed without caching for lack of room.
    public func fillBypassed() {
        bypassedFills.increment()
    }
}
