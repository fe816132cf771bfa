import Logging
import ProxyAuth
import ProxyConfig
import ProxyIO
import ProxyMetrics
import ProxyRegistry
import ProxyStorage
import ProxyStore
import ProxySystem
import ProxyUpstream
import Synchronization

/// Everything the loops share: the store, the single-flight tables, the
/// upstream registries, metrics. Thread-safe piece by piece (each member is
/// Sendable and documents how).
public final class SharedServices: Sendable {
    /// The configuration at start-up; the live settings below may have been reloaded since.
    public let configuration: Configuration
    public let blobs: BlobStore
    public let manifests: ManifestStore
    public let tags: TagIndex
    public let fills: FillTable
    public let manifestFlights: FlightTable<Result<ManifestAnswer, UpstreamFailure>>
    /// Coalesced upstream HEADs (uncached blob HEADs, repository confirmations).
    let headFlights: FlightTable<Result<UpstreamResponseHead, UpstreamError>>
    /// Which repositories are known to hold which digests.
    public let links: RepositoryLinks
    /// The size and age limits: fill reservations, eviction passes, the persisted index.
    public let cache: CacheEviction
    /// Upstreams by the name containerd's `?ns=` uses.
    public let upstreams: [String: UpstreamRegistry]
    public let defaultUpstream: UpstreamRegistry
    /// The routes (issue 16): repository names to registries and who may pull and push.
    public let routes: RouteTable
    /// For each route of ``routes`` (same index), its upstream; nil for a storage route.
    public let routeUpstreams: [UpstreamRegistry?]
    /// Client authentication (issue 17), when `auth:` is configured; nil = every client is
    /// anonymous.
    package let authenticator: Authenticator?
    /// Pushed images (issue 16), when a storage registry is configured.
    public let storage: LocalStorage?
    public let resolver: Resolver
    /// Threads for blocking disk work (blob and manifest commits, tag records, link
    /// markers), so that no loop waits for fsync.
    public let ioPool: IOPool
    /// The wall clock tag freshness is measured on (a test clock in tests).
    public let clock: any WallClock
    public let tlsContexts: TLSContextTable
    public let metrics: Metrics
    /// Layer prefetch, when `--prefetch` is on.
    let prefetcher: Prefetcher?
    public let logger: Logger
    public let upstreamTimeouts: UpstreamTimeouts
    /// Tag freshness in nanoseconds (0 = always revalidate). Live: ``applyLiveSettings(_:)``.
    public var tagTTL: Int64 { tagTTLNanoseconds.load(ordering: .relaxed) }
    /// Whether a known tag is served stale when the upstream answers its revalidation with
    /// 401/403 (``Configuration/serveStaleOnDenied``). Live: ``applyLiveSettings(_:)``.
    public var serveStaleOnDenied: Bool { serveStaleOnDeniedSetting.load(ordering: .relaxed) }
    // Atomics, not a lock: each is one word read per request by every loop, and a request that
    // reads the old value while a reload stores the new one is as right as one a moment earlier.
    private let tagTTLNanoseconds: Atomic<Int64>
    private let serveStaleOnDeniedSetting: Atomic<Bool>
    public static let userAgent = "cistern/\(CisternVersion.string)"

    /// - Parameter clock: the wall clock for tag freshness (``SystemWallClock`` outside tests).
    /// - Throws: when the cache directory cannot be prepared, an upstream URL
    ///   is unusable, or a TLS trust store cannot be loaded.
    public init(configuration: Configuration, logger: Logger, metrics: Metrics, clock: any WallClock = SystemWallClock()) throws {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        let layout = CacheLayout(root: configuration.cacheDirectory)
        let opened = CacheIndex.open(layout, clock: clock)
        // Rebuilt or reconciled means the last process did not stop cleanly, or the snapshot
        // was damaged: worth an operator's look (not for a new, empty cache).
        let worthALook = opened.origin != .loaded && opened.index.count > 0
        logger.log(level: worthALook ? .warning : .info, "cache index ready", metadata: [
            "origin": "\(opened.origin.rawValue)", "entries": "\(opened.index.count)", "bytes": "\(opened.index.usageByteCount)",
        ])
        blobs = try BlobStore(layout: layout, index: opened.index)
        // After the store: a cache directory that cannot be prepared starts no thread.
        ioPool = IOPool(name: "cistern-io", threadCount: 2)
        manifests = ManifestStore(blobs: blobs) { digest, reason, path in
            Self.reportMovedAside(digest, kind: "manifest", reason: reason, path: path, metrics: metrics, logger: logger)
        }
        tags = TagIndex(layout: layout, pool: ioPool)
        fills = FillTable()
        manifestFlights = FlightTable()
        headFlights = FlightTable()
        links = RepositoryLinks(layout: layout, pool: ioPool, index: blobs.index)
        cache = CacheEviction(index: blobs.index, limits: configuration.cacheLimits, blobs: blobs, links: links, pool: ioPool,
                              metrics: metrics.cache, logger: logger) { [manifests] digest in manifests.forgetFromMemory(digest) }
        // A clean snapshot was not checked against the files: do that in the background.
        if opened.origin == .loaded && configuration.cacheLimits.isLimited { cache.scheduleAdoption() }
        let environment = try EgressEnvironment.read(Self.proxyEnvironment())
        var table: [String: UpstreamRegistry] = [:]
        var tlsSettings: [(host: String, caFile: String?, verify: Bool)] = []
        for upstream in configuration.upstreams {
            // Links and tag records vouch for the registry they were written for (see
            // UpstreamOriginRecord); claimed before anything reads them.
            if try UpstreamOriginRecord.claim(name: upstream.name, url: upstream.url, layout: layout) {
                logger.notice("upstream's URL changed: its repository links and tag records were removed", metadata: [
                    "upstream": "\(upstream.name)", "url": "\(upstream.url)",
                ])
            }
            let egress = Self.egressRoute(upstream.proxy, environment: environment)
            let registry = try UpstreamRegistry(name: upstream.name, url: upstream.url,
                                                username: upstream.username, password: upstream.password, egress: egress,
                                                rateLimiter: UpstreamRateLimiter(manifestGetsPerHour: upstream.maxManifestGetsPerHour,
                                                                                 perRepository: upstream.rateLimitPerRepository),
                                                traffic: metrics.upstreamTraffic(named: upstream.name),
                                                namespace: upstream.namespace, forwardsClientAddress: upstream.forwardClientAddress)
            if let proxy = egress.proxy(for: registry.origin) {
                logger.info("upstream reached through a proxy", metadata: ["upstream": "\(upstream.name)", "proxy": "\(proxy)"])
            }
            table[upstream.name] = registry
            tlsSettings.append((registry.origin.host, upstream.caFile, !upstream.insecureSkipTLSVerify))
        }
        upstreams = table
        let registries = table.values.sorted { $0.name < $1.name }
        metrics.upstreamBudget.setSource(upstreams: registries.map(\.name)) {
            let now = MonotonicClock.now()
            return registries.map { registry in
                let reading = registry.rateLimiter.reading(now: now)
                return UpstreamBudgetMetrics.Reading(
                    upstream: registry.name, limit: reading.limit, remaining: reading.remaining, retryAfterNanoseconds: reading.retryAfter,
                    sentManifestRequests: reading.sentManifestRequests, refusedRateLimited: reading.refusedRateLimited,
                    refusedBudget: reading.refusedBudget)
            }
        }
        guard let fallback = table[configuration.defaultUpstream] else {
            throw RegistryError(code: .upstreamError, status: 500,
                                message: "default upstream \(configuration.defaultUpstream) is not among the configured upstreams")
        }
        defaultUpstream = fallback
        routes = configuration.routeTable
        routeUpstreams = routes.rules.map { $0.kind == .remote ? table[$0.registry] : nil }
        authenticator = try configuration.auth.map { _ in try Authenticator(configuration: configuration, routes: configuration.routeTable, clock: clock) }
        storage = configuration.storageRegistry == nil ? nil
            : try LocalStorage(directory: configuration.effectiveStorageDirectory,
                               uploadTimeoutNanoseconds: MonotonicClock.nanoseconds(configuration.uploadTimeout))
        tlsContexts = try TLSContextTable(upstreams: tlsSettings)
        resolver = Resolver()
        let t = configuration.timeouts
        upstreamTimeouts = UpstreamTimeouts(
            connect: MonotonicClock.nanoseconds(t.upstreamConnect),
            readStall: MonotonicClock.nanoseconds(t.upstreamReadStall),
            minimumRate: Int64(t.upstreamMinimumRate),
            rateWindow: MonotonicClock.nanoseconds(t.upstreamMinimumRateWindow))
        tagTTLNanoseconds = Atomic(MonotonicClock.nanoseconds(configuration.tagTTL))
        serveStaleOnDeniedSetting = Atomic(configuration.serveStaleOnDenied)
        if configuration.prefetch {
            let platform = Platform(parsing: configuration.prefetchPlatform) ?? Platform(os: "linux", architecture: "amd64", variant: nil)
            prefetcher = Prefetcher(concurrency: configuration.prefetchConcurrency, platform: platform)
        } else {
            prefetcher = nil
        }
    }

    /// Takes the reloaded live settings that pull-through reads (``Configuration/tagTTL``,
    /// ``Configuration/serveStaleOnDenied``); the next request uses them. Any thread.
    public func applyLiveSettings(_ configuration: Configuration) {
        tagTTLNanoseconds.store(MonotonicClock.nanoseconds(configuration.tagTTL), ordering: .relaxed)
        serveStaleOnDeniedSetting.store(configuration.serveStaleOnDenied, ordering: .relaxed)
    }

    /// Reports committed content that failed its check on a hit and was moved aside (a blob
    /// whose size changed since commit, a manifest whose bytes no longer match its digest):
    /// an error log line naming where it went, and `cistern_corrupt_content_total`.
    /// Not called under any lock.
    func contentMovedAside(_ digest: Digest, kind: String, reason: String, path: String) {
        Self.reportMovedAside(digest, kind: kind, reason: reason, path: path, metrics: metrics, logger: logger)
    }

    private static func reportMovedAside(_ digest: Digest, kind: String, reason: String, path: String,
                                         metrics: Metrics, logger: Logger) {
        metrics.corruptContent()
        logger.error("cached \(kind) does not match its record; moved aside and fetched again", metadata: [
            "digest": "\(digest)", "reason": "\(reason)", "moved_to": "\(path)",
        ])
    }

    /// The upstream a request addresses: containerd's `?ns=` through the
    /// allow-list, or the default upstream without one.
    /// - Throws: `RegistryError` DENIED (403) for an ns not in the allow-list;
    ///   no outbound connection is made for it.
    public func upstream(ns: String?) throws(RegistryError) -> UpstreamRegistry {
        guard let ns, !ns.isEmpty else { return defaultUpstream }
        if let registry = upstreams[ns] { return registry }
        if ns == "index.docker.io" || ns == "registry-1.docker.io", let hub = upstreams["docker.io"] { return hub }
        throw RegistryError(code: .denied, status: 403, message: "registry \(ns) is not mirrored here",
                            detail: "allowed: \(upstreams.keys.sorted().joined(separator: ", "))")
    }
}

/// Cistern's version, sent upstream in `User-Agent`.
public enum CisternVersion {
    public static let string = "0.1.0"
}
