import Prometheus

/// `cistern_requests_total{kind,status}`: client responses sent, by ``EndpointKind`` and
/// HTTP status code.
///
/// Every kind × ``Metrics/commonClientStatuses`` pair exists from the start (at 0, so rates
/// and ratios have both sides from the first scrape) and is found by index: one relaxed atomic
/// add, no allocation. Other statuses get their series on first use. Any thread.
struct ClientRequestCounters: Sendable {
    /// `[kind.index * commonClientStatuses.count + statusIndex]`.
    private let common: [Counter]
    private let others: LazyCounterFamily

    /// Registers the pre-created series in `registry`.
    init(registry: PrometheusCollectorRegistry) {
        let help = "Client responses sent, by endpoint kind and HTTP status code."
        common = EndpointKind.allCases.flatMap { kind in
            Metrics.commonClientStatuses.map { status in
                registry.makeCounter(
                    descriptor: Metrics.descriptor("requests_total", help: help),
                    labels: [("kind", kind.rawValue), ("status", String(status))])
            }
        }
        others = LazyCounterFamily(registry: registry, name: "requests_total", help: help, firstLabel: "kind")
    }

    /// One response to a request of `kind` with `status` was sent.
    func record(kind: EndpointKind, status: Int) {
        if let statusIndex = Metrics.commonClientStatusIndex(status) {
            common[kind.index * Metrics.commonClientStatuses.count + statusIndex].increment()
        } else {
            others.counter(first: kind.rawValue, status: status).increment()
        }
    }
}
