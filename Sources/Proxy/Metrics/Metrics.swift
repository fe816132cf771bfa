import Prometheus

/// Cistern's process-wide counters and gauges, rendered for Prometheus scraping.
///
/// Every recording method may be called from any thread, once per request or more; in the
/// common case (a pre-created status, method or outcome) it is one relaxed atomic add and
/// allocates nothing. Rarely seen statuses and methods get their series on first use.
///
/// Series (text exposition format 0.0.4; units in names, `_total` for counters):
/// - `cistern_requests_total{kind,status}`: client responses sent, by ``EndpointKind`` and
///   status code (see ``ClientRequestCounters``)
/// - `cistern_cache_requests_total{outcome}`: client requests by ``CacheOutcome`` (hit, miss,
///   joined, stale, pass)
/// - `cistern_client_bytes_sent_total`: body bytes written to clients
/// - `cistern_upstream_bytes_received_total{upstream}`: body bytes read from each upstream
///   (see ``UpstreamTrafficCounter``)
/// - `cistern_upstream_requests_total{method,status}`: upstream exchanges by method and status
/// - `cistern_fills_in_flight`: upstream fills (downloads into the store) running now
/// - `cistern_fill_waiters`: client responses being answered from a fill in progress (the
///   requests that started it and those that joined it)
/// - `cistern_fills_total{result}`: finished fills, `committed` or `failed`
/// - `cistern_fill_resumes_total`: Range requests sent to resume a fill whose upstream
///   response ended early (reset, timeout, short body)
/// - `cistern_prefetch_dropped_total`: prefetch jobs dropped because the queue was full
/// - `cistern_digest_mismatches_total`: fills whose content did not match the expected digest
/// - `cistern_stale_served_total`: responses served stale because the upstream failed
/// - `cistern_stale_served_denied_total`: of those, the ones where the upstream refused the
///   mirror's credential (401/403)
/// - `cistern_corrupt_content_total`: committed blobs or manifests that failed their check on
///   a hit (size or digest changed since commit) and were moved aside
/// - `cistern_connections_open`: client connections open now
/// - `cistern_loop_lag_seconds{loop}`: histogram of how long ready events waited for their
///   loop (see ``LoopLagHistogram``)
/// - `cistern_cache_*`: the bounded disk, see ``CacheMetrics``
/// - `cistern_upstream_ratelimit_*`, `cistern_upstream_refused_total`, …: the upstreams'
///   budgets, see ``UpstreamBudgetMetrics``
/// - `process_open_fds`, `process_resident_memory_bytes`, `cistern_heap_in_use_bytes`:
///   what the process holds, read at each scrape (see ``ProcessResourceGauges``)
public final class Metrics: Sendable {
    /// The registry every series lives in; add process-specific metrics here.
    public let registry: PrometheusCollectorRegistry

    /// Client status codes whose series exist from the start.
    static let commonClientStatuses = [200, 206, 304, 400, 401, 403, 404, 405, 416, 429, 500, 502, 503, 504]
    /// Upstream status codes whose series exist from the start: the client set plus the
    /// redirects registries answer blob requests with (Docker Hub: 307 to its CDN).
    static let commonUpstreamStatuses = commonClientStatuses + [301, 302, 303, 307, 308]
    /// Upstream methods whose series exist from the start.
    static let commonUpstreamMethods = ["GET", "HEAD"]

    private let clientRequests: ClientRequestCounters
    private let cacheRequestsByOutcome: [Counter]
    private let clientBytesSent: Counter
    private let upstreamTrafficCounters: UpstreamTrafficCounters
    private let upstreamRequestsByCommon: [Counter]
    private let upstreamRequestsByOther: LazyCounterFamily
    private let fillsInFlight: Gauge
    private let fillWaiters: Gauge
    private let fillsCommitted: Counter
    private let fillsFailed: Counter
    private let digestMismatches: Counter
    private let fillResumes: Counter
    private let prefetchDrops: Counter
    private let staleServedCount: Counter
    private let staleServedDeniedCount: Counter
    private let corruptContentCount: Counter
    private let connectionsOpen: Gauge
    private let processResources: ProcessResourceGauges
    private let loopLagHistograms: LoopLagHistograms
    /// The bounded-disk series (size, limit, evictions, bypassed fills).
    public let cache: CacheMetrics
    /// The upstream budget series (rate limits, 429 memory, manifest budget).
    public let upstreamBudget: UpstreamBudgetMetrics
    /// The client authentication series (failures, 429s, tokens issued).
    public let auth: AuthMetrics

    /// Creates every pre-created series at zero in a new registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        clientRequests = ClientRequestCounters(registry: registry)
        cacheRequestsByOutcome = CacheOutcome.allCases.map { outcome in
            registry.makeCounter(
                descriptor: Self.descriptor("cache_requests_total", help: "Client requests by how the local store took part."),
                labels: [("outcome", outcome.rawValue)])
        }
        clientBytesSent = registry.makeCounter(
            descriptor: Self.descriptor("client_bytes_sent_total", help: "Response body bytes written to clients."))
        upstreamTrafficCounters = UpstreamTrafficCounters(registry: registry)
        let upstreamHelp = "Requests sent to upstream registries, by method and response status code."
        upstreamRequestsByCommon = Self.commonUpstreamMethods.flatMap { method in
            Self.commonUpstreamStatuses.map { status in
                registry.makeCounter(
                    descriptor: Self.descriptor("upstream_requests_total", help: upstreamHelp),
                    labels: [("method", method), ("status", String(status))])
            }
        }
        upstreamRequestsByOther = LazyCounterFamily(
            registry: registry, name: "upstream_requests_total", help: upstreamHelp, firstLabel: "method")
        fillsInFlight = registry.makeGauge(
            descriptor: Self.descriptor("fills_in_flight", help: "Upstream fills (downloads into the store) in progress."))
        fillWaiters = registry.makeGauge(
            descriptor: Self.descriptor("fill_waiters", help: "Client responses being answered from an upstream fill in progress."))
        let fillsHelp = "Finished upstream fills, by whether the content was committed to the store."
        fillsCommitted = registry.makeCounter(
            descriptor: Self.descriptor("fills_total", help: fillsHelp), labels: [("result", "committed")])
        fillsFailed = registry.makeCounter(
            descriptor: Self.descriptor("fills_total", help: fillsHelp), labels: [("result", "failed")])
        fillResumes = registry.makeCounter(
            descriptor: Self.descriptor("fill_resumes_total", help: "Range requests sent to resume a fill whose upstream response ended early."))
        prefetchDrops = registry.makeCounter(
            descriptor: Self.descriptor("prefetch_dropped_total", help: "Prefetch jobs dropped because the prefetch queue was full."))
        digestMismatches = registry.makeCounter(
            descriptor: Self.descriptor("digest_mismatches_total", help: "Upstream content whose digest did not match the one requested."))
        staleServedCount = registry.makeCounter(
            descriptor: Self.descriptor("stale_served_total", help: "Responses served from a stale stored copy because the upstream failed."))
        staleServedDeniedCount = registry.makeCounter(
            descriptor: Self.descriptor("stale_served_denied_total",
                                        help: "Responses served stale because the upstream refused the mirror's credential (401/403)."))
        corruptContentCount = registry.makeCounter(
            descriptor: Self.descriptor("corrupt_content_total",
                                        help: "Committed blobs or manifests that no longer matched their record and were moved aside."))
        connectionsOpen = registry.makeGauge(
            descriptor: Self.descriptor("connections_open", help: "Client connections currently open."))
        processResources = ProcessResourceGauges(registry: registry)
        loopLagHistograms = LoopLagHistograms(registry: registry)
        cache = CacheMetrics(registry: registry)
        upstreamBudget = UpstreamBudgetMetrics(registry: registry)
        auth = AuthMetrics(registry: registry)
    }

    /// A client response with `status` was sent for a request of `kind`.
    public func requestCompleted(kind: EndpointKind, status: Int) {
        clientRequests.record(kind: kind, status: status)
    }

    /// A client request was answered with `outcome`.
    public func cacheOutcome(_ outcome: CacheOutcome) {
        let index: Int
        switch outcome {
        case .hit: index = 0
        case .miss: index = 1
        case .joined: index = 2
        case .stale: index = 3
        case .pass: index = 4
        }
        cacheRequestsByOutcome[index].increment()
    }

    /// `byteCount` response body bytes were written to a client.
    public func bytesSentToClients(_ byteCount: Int) {
        clientBytesSent.increment(by: Int64(max(0, byteCount)))
    }

    /// The body-byte counter of the upstream named `name` (its series exists at 0 from this
    /// call on); call once per upstream at start-up and keep the result.
    public func upstreamTraffic(named name: String) -> UpstreamTrafficCounter {
        upstreamTrafficCounters.counter(named: name)
    }

    /// The lag histogram of event loop `index`; call once per loop and keep the result.
    public func loopLag(loop index: Int) -> LoopLagHistogram {
        loopLagHistograms.histogram(loop: index)
    }

    /// An upstream fill started; pair with exactly one ``fillFinished(committed:)``.
    public func fillStarted() {
        fillsInFlight.increment()
    }

    /// An upstream fill ended, its content `committed` to the store or not.
    public func fillFinished(committed: Bool) {
        fillsInFlight.decrement()
        (committed ? fillsCommitted : fillsFailed).increment()
    }

    /// A client response started to be answered from a fill; pair with exactly one
    /// ``fillWaiterEnded()``.
    public func fillWaiterStarted() {
        fillWaiters.increment()
    }

    /// A client response stopped being answered from a fill (done, failed or disconnected).
    public func fillWaiterEnded() {
        fillWaiters.decrement()
    }

    /// A fill sent a Range request to resume after its upstream response ended early.
    public func fillResumed() {
        fillResumes.increment()
    }

    /// A prefetch job was dropped: the queue was full.
    public func prefetchDropped() {
        prefetchDrops.increment()
    }

    /// Upstream content did not hash to the digest it was requested by.
    public func digestMismatch() {
        digestMismatches.increment()
    }

    /// An upstream exchange with `method` ended with `status`.
    public func upstreamRequest(method: String, status: Int) {
        if let statusIndex = Self.commonUpstreamStatusIndex(status) {
            let statusCount = Self.commonUpstreamStatuses.count
            if method == "GET" {
                upstreamRequestsByCommon[statusIndex].increment()
                return
            }
            if method == "HEAD" {
                upstreamRequestsByCommon[statusCount + statusIndex].increment()
                return
            }
        }
        upstreamRequestsByOther.counter(first: method, status: status).increment()
    }

    /// A response was served from a stale stored copy because the upstream failed.
    /// - Parameter denied: the failure was a 401/403 for the mirror's own credential.
    public func staleServed(denied: Bool = false) {
        staleServedCount.increment()
        if denied { staleServedDeniedCount.increment() }
    }

    /// Committed content failed its check and was moved aside.
    public func corruptContent() {
        corruptContentCount.increment()
    }

    /// A client connection was accepted; pair with exactly one ``connectionsClosed()``.
    public func connectionsOpened() {
        connectionsOpen.increment()
    }

    /// A client connection was closed.
    public func connectionsClosed() {
        connectionsOpen.decrement()
    }

    /// Every series in the Prometheus text exposition format 0.0.4 (`# HELP`, `# TYPE`,
    /// then one `name{labels} value` line per series), for a `/metrics` response with
    /// `Content-Type: text/plain; version=0.0.4`. Family order is not fixed. Reads the
    /// process gauges first (a directory listing and a `/proc` read: scrape-time cost only).
    public func renderPrometheusText() -> [UInt8] {
        processResources.refresh()
        cache.refresh()
        upstreamBudget.refresh()
        return registry.emitToBuffer()
    }

    /// The descriptor of `cistern_<name>`; `name` already carries its unit suffix.
    static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "cistern", metricName: name, unitName: "", helpText: help)
    }

    static func commonClientStatusIndex(_ status: Int) -> Int? {
        switch status {
        case 200: return 0
        case 206: return 1
        case 304: return 2
        case 400: return 3
        case 401: return 4
        case 403: return 5
        case 404: return 6
        case 405: return 7
        case 416: return 8
        case 429: return 9
        case 500: return 10
        case 502: return 11
        case 503: return 12
        case 504: return 13
        default: return nil
        }
    }

    private static func commonUpstreamStatusIndex(_ status: Int) -> Int? {
        if let index = commonClientStatusIndex(status) { return index }
        switch status {
        case 301: return 14
        case 302: return 15
        case 303: return 16
        case 307: return 17
        case 308: return 18
        default: return nil
        }
    }
}
