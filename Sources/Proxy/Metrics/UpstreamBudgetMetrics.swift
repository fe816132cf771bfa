import Prometheus
import ProxySystem

/// How much of each upstream's request budget Cistern spends, and what it holds back
/// (README "Logs and metrics"; all labelled `upstream`):
/// - `cistern_upstream_ratelimit_limit` / `cistern_upstream_ratelimit_remaining`: the last
///   `RateLimit-Limit` / `RateLimit-Remaining` counts the upstream sent (absent until it sends);
/// - `cistern_upstream_retry_after_seconds`: time until a request may go again after a 429
///   (0 when none is pending);
/// - `cistern_upstream_manifest_requests_total{method,kind}`: manifest GETs and HEADs sent,
///   by tag or by digest (Docker Hub counts the GETs);
/// - `cistern_upstream_refused_total{reason}`: requests answered 429 without asking the
///   upstream, `rate-limited` (a remembered 429) or `manifest-budget`;
/// - `cistern_upstream_stale_on_rate_limit_total`: stale tags served instead of a 429.
///
/// Gauges and the sent/refused totals are read from the upstreams at scrape time (``setSource``);
/// the stale counter is counted as it happens. Any thread.
public final class UpstreamBudgetMetrics: Sendable {
    /// One upstream's state at scrape time.
    public struct Reading: Sendable {
        public var upstream: String
        public var limit: Int?
        public var remaining: Int?
        public var retryAfterNanoseconds: Int64
        /// Totals by `(method, kind)` in the order of ``manifestRequestLabels``.
        public var sentManifestRequests: [Int]
        public var refusedRateLimited: Int
        public var refusedBudget: Int

        public init(upstream: String, limit: Int?, remaining: Int?, retryAfterNanoseconds: Int64,
                    sentManifestRequests: [Int], refusedRateLimited: Int, refusedBudget: Int) {
            self.upstream = upstream
            self.limit = limit
            self.remaining = remaining
            self.retryAfterNanoseconds = retryAfterNanoseconds
            self.sentManifestRequests = sentManifestRequests
            self.refusedRateLimited = refusedRateLimited
            self.refusedBudget = refusedBudget
        }
    }

    /// The `(method, kind)` labels of the sent totals, in reading order.
    public static let manifestRequestLabels = [("GET", "tag"), ("HEAD", "tag"), ("GET", "digest"), ("HEAD", "digest")]

    /// One upstream's series, and the totals they last showed.
    private final class Series: @unchecked Sendable {
        // @unchecked: the counters and gauges are thread-safe; `shown` is only touched under
        // the owner's `refreshing` lock.
        let limit: Gauge
        let remaining: Gauge
        let retryAfter: Gauge
        let sent: [Counter]
        let refusedRateLimited: Counter
        let refusedBudget: Counter
        let staleOnRateLimit: Counter
        var shown = (sent: [Int](repeating: 0, count: 4), rateLimited: 0, budget: 0)

        init(_ registry: PrometheusCollectorRegistry, upstream: String) {
            let label = [("upstream", upstream)]
            limit = registry.makeGauge(descriptor: Metrics.descriptor("upstream_ratelimit_limit", help: "RateLimit-Limit count the upstream last sent."), labels: label)
            remaining = registry.makeGauge(descriptor: Metrics.descriptor("upstream_ratelimit_remaining", help: "RateLimit-Remaining count the upstream last sent."), labels: label)
            retryAfter = registry.makeGauge(descriptor: Metrics.descriptor("upstream_retry_after_seconds", help: "Seconds until a request may go to the upstream again after a 429."), labels: label)
            sent = UpstreamBudgetMetrics.manifestRequestLabels.map { method, kind in
                registry.makeCounter(descriptor: Metrics.descriptor("upstream_manifest_requests_total", help: "Manifest requests sent to the upstream, by method and by tag or digest."),
                                     labels: label + [("method", method), ("kind", kind)])
            }
            let refusedHelp = "Requests answered 429 without asking the upstream."
            refusedRateLimited = registry.makeCounter(descriptor: Metrics.descriptor("upstream_refused_total", help: refusedHelp), labels: label + [("reason", "rate-limited")])
            refusedBudget = registry.makeCounter(descriptor: Metrics.descriptor("upstream_refused_total", help: refusedHelp), labels: label + [("reason", "manifest-budget")])
            staleOnRateLimit = registry.makeCounter(descriptor: Metrics.descriptor("upstream_stale_on_rate_limit_total", help: "Stale tags served while the upstream was rate limiting."), labels: label)
        }
    }

    private let registry: PrometheusCollectorRegistry
    private let series = Locked<[String: Series]>([:])
    private let source = Locked<(@Sendable () -> [Reading])?>(nil)
    private let refreshing = Locked(())

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Creates the series of `upstreams` and sets where their values are read from.
    public func setSource(upstreams: [String], _ reading: @escaping @Sendable () -> [Reading]) {
        let created = Dictionary(uniqueKeysWithValues: upstreams.map { ($0, Series(registry, upstream: $0)) })
        series.withLock { $0 = created }
        source.withLock { $0 = reading }
    }

    /// A stale tag was served for `upstream` instead of its 429.
    public func staleOnRateLimit(upstream: String) {
        series.withLock { $0[upstream] }?.staleOnRateLimit.increment()
    }

    /// Reads the upstreams (scrape time).
    func refresh() {
        guard let read = source.withLock({ $0 }) else { return }
        let readings = read()
        let table = series.withLock { $0 }
        refreshing.withLock { _ in
            for reading in readings {
                guard let series = table[reading.upstream] else { continue }
                if let limit = reading.limit { series.limit.set(Int64(limit)) }
                if let remaining = reading.remaining { series.remaining.set(Int64(remaining)) }
                series.retryAfter.set(Double(reading.retryAfterNanoseconds) / 1e9)
                for (index, total) in reading.sentManifestRequests.enumerated() where index < series.sent.count {
                    series.sent[index].increment(by: Int64(total - series.shown.sent[index]))
                    series.shown.sent[index] = total
                }
                series.refusedRateLimited.increment(by: Int64(reading.refusedRateLimited - series.shown.rateLimited))
                series.refusedBudget.increment(by: Int64(reading.refusedBudget - series.shown.budget))
                series.shown.rateLimited = reading.refusedRateLimited
                series.shown.budget = reading.refusedBudget
            }
        }
    }
}
