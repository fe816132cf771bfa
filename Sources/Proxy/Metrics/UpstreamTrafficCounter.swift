import Prometheus
import ProxySystem

/// `cistern_upstream_bytes_received_total{upstream}` of one configured upstream: response
/// body bytes read from it (and from the hosts it redirects to, such as a CDN), whatever the
/// request (blob fills, manifests, tag lists, referrers; token requests are not counted).
///
/// Created once per upstream at start-up (``Metrics/upstreamTraffic(named:)``) and held by the
/// upstream, so counting is one relaxed atomic add without a lookup. Any thread.
public final class UpstreamTrafficCounter: Sendable {
    private let bytesReceived: Counter

    init(bytesReceived: Counter) {
        self.bytesReceived = bytesReceived
    }

    /// `byteCount` body bytes were read from this upstream.
    public func received(_ byteCount: Int) {
        bytesReceived.increment(by: Int64(max(0, byteCount)))
    }
}

/// The per-upstream traffic counters, one per upstream name. Any thread (a lock guards the
/// table, taken only when an upstream is set up).
final class UpstreamTrafficCounters: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let counters = Locked<[String: UpstreamTrafficCounter]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The counter of the upstream named `name`, created (at 0) on the first call.
    func counter(named name: String) -> UpstreamTrafficCounter {
        counters.withLock { counters in
            if let existing = counters[name] { return existing }
            let created = UpstreamTrafficCounter(bytesReceived: registry.makeCounter(
                descriptor: Metrics.descriptor(
                    "upstream_bytes_received_total", help: "Response body bytes read from upstream registries, by upstream name."),
                labels: [("upstream", name)]))
            counters[name] = created
            return created
        }
    }
}
