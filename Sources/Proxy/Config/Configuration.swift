import Logging
import ProxyLogging
import ProxySystem

/// Everything an operator can set about one Cistern process.
///
/// Built in layers: ``embeddedDefault`` ← YAML file (``load(yaml:over:)``) ← command-line
/// flags (``ConfigurationOverrides``); the result is checked by ``validate()``. Immutable once
/// the server starts; shared by value with every loop.
public struct Configuration: Sendable, Equatable {
    /// Address and port client connections are accepted on. Default `0.0.0.0:5000`.
    public var listen: ListenAddress
    /// Number of event loops (threads); 0 = one per online CPU core.
    public var workers: Int
    /// Directory holding the content-addressed store; relative paths are resolved
    /// against the working directory. Default `./cistern-data`.
    public var cacheDirectory: String
    /// The upstream registries; the allow-list for containerd's `?ns=` parameter.
    public var upstreams: [UpstreamConfiguration]
    /// ``UpstreamConfiguration/name`` of the upstream used for requests without `?ns=`.
    public var defaultUpstream: String
    /// Client- and upstream-side deadlines.
    public var timeouts: Timeouts
    /// How long a tag → digest resolution is served from cache before the upstream is asked
    /// again; `.zero` = revalidate on every manifest-by-tag request. Default 60 s.
    public var tagTTL: Duration
    /// Whether a cached tag is served stale when the upstream answers its revalidation with
    /// 401 or 403. Clients never send upstream credentials, so such a denial concerns the
    /// mirror's own credential (expired, revoked): to a client it is an outage, handled as a
    /// 5xx is. Never applies to the HEAD that confirms a repository holds a digest. Default true.
    public var serveStaleOnDenied: Bool
    /// Whether to pull an image's blobs in the background once its manifest was fetched.
    public var prefetch: Bool
    /// The platform (`os/arch[/variant]`, OCI image-index `platform`) whose manifest is
    /// prefetched from an index. Default `linux/amd64`.
    public var prefetchPlatform: String
    /// Largest number of blob fills prefetch keeps in flight at once. Default 4.
    public var prefetchConcurrency: Int
    /// Least severe level that is logged. Default `.info`.
    public var logLevel: Logger.Level
    /// Whether one access-log line is logged per client request. Default true.
    public var accessLog: Bool
    /// How access-log lines are written: `text` (default), `json` or `logfmt`.
    /// YAML `access_log_format`, `--access-log-format`.
    public var accessLogFormat: AccessLogFormat
    /// A second address serving only `/metrics`, `/healthz` and `/readyz`; when set, the
    /// client address no longer serves `/metrics` (404) but keeps the probes (load balancers
    /// check it). nil (default) = the operational paths are served on ``listen`` only.
    /// YAML `admin_listen`, `--admin-listen`.
    public var adminListen: ListenAddress?
    /// Most bytes everything under ``cacheDirectory`` except `storage/` may take (as `du -sb`
    /// counts them); 0 = no limit (the default). YAML `cache_max_size`, e.g. `200GiB`.
    public var cacheMaxSize: Int64
    /// Percentage of ``cacheMaxSize`` eviction brings usage down to. Default 90.
    public var cacheLowWatermark: Int
    /// Content not read for this long is removed in the background; `.zero` = never (default).
    public var cacheMaxAge: Duration
    /// When set, ``listen`` speaks only TLS with this certificate chain and key. Default nil
    /// (plain HTTP).
    public var tls: TLSListenerConfiguration?
    /// After SIGTERM, how long Cistern keeps accepting (answering `/readyz` 503) before it
    /// closes its listening socket, so a load balancer's health check sees the 503 first.
    /// YAML `drain_delay`, `--drain-delay`. Default 5 s; `.zero` closes at once.
    public var drainDelay: Duration
    /// After the listening socket closed, longest wait for the responses in flight and the
    /// running fills before the process ends anyway. YAML `drain_timeout`, `--drain-timeout`.
    /// Default 30 s.
    public var drainTimeout: Duration
    /// This node's name in the `Via` entries it adds upstream and looks for in incoming
    /// requests (loop detection). YAML `node_id`, `--node-id`; nil = the host name plus the
    /// listen port (``resolvedNodeID(boundPort:)``).
    public var nodeID: String? = nil
    /// Peers (a load balancer, an edge Cistern) whose `X-Forwarded-For` is believed and kept
    /// in the chain sent upstream; from any other peer only its own address is sent. YAML
    /// `trusted_proxies`. Default: none.
    public var trustedProxies: [AddressRange] = []
    /// The name of the `registries:` entry of `type: storage` (Cistern's own store of pushed
    /// images, issue 16); nil without one. At most one storage registry.
    public var storageRegistry: String? = nil
    /// `routes:` in configuration order; empty = the default upstream serves every name
    /// (``routeTable``).
    public var routes: [RouteConfiguration] = []
    /// Where pushed content lives (YAML `storage_dir`, `--storage-dir`); nil =
    /// `<cache_dir>/storage` (``effectiveStorageDirectory``).
    public var storageDirectory: String? = nil
    /// An upload session untouched this long is removed with its data (YAML `upload_timeout`,
    /// `--upload-timeout`). Default 1 h.
    public var uploadTimeout: Duration = .seconds(3600)
    /// Largest blob accepted by an upload, bytes; 0 = no limit (YAML `max_upload_size`). A larger
    /// one gets 413.
    public var maxUploadSize: Int64 = 0
    /// Client authentication (YAML `auth:`, issue 17); nil = every client is anonymous.
    public var auth: AuthConfiguration? = nil

    /// Creates a configuration; every parameter defaults to the ``embeddedDefault`` value.
    /// Does not validate: call ``validate()``.
    public init(
        listen: ListenAddress = ListenAddress(host: "0.0.0.0", port: 5000),
        workers: Int = 0,
        cacheDirectory: String = "./cistern-data",
        upstreams: [UpstreamConfiguration] = [UpstreamConfiguration.dockerHub],
        defaultUpstream: String = "docker.io",
        timeouts: Timeouts = Timeouts(),
        tagTTL: Duration = .seconds(60),
        serveStaleOnDenied: Bool = true,
        prefetch: Bool = false,
        prefetchPlatform: String = "linux/amd64",
        prefetchConcurrency: Int = 4,
        logLevel: Logger.Level = .info,
        accessLog: Bool = true,
        accessLogFormat: AccessLogFormat = .text,
        adminListen: ListenAddress? = nil,
        cacheMaxSize: Int64 = 0,
        cacheLowWatermark: Int = 90,
        cacheMaxAge: Duration = .zero,
        tls: TLSListenerConfiguration? = nil,
        drainDelay: Duration = .seconds(5),
        drainTimeout: Duration = .seconds(30)
    ) {
        self.listen = listen
        self.workers = workers
        self.cacheDirectory = cacheDirectory
        self.upstreams = upstreams
        self.defaultUpstream = defaultUpstream
        self.timeouts = timeouts
        self.tagTTL = tagTTL
        self.serveStaleOnDenied = serveStaleOnDenied
        self.prefetch = prefetch
        self.prefetchPlatform = prefetchPlatform
        self.prefetchConcurrency = prefetchConcurrency
        self.logLevel = logLevel
        self.accessLog = accessLog
        self.accessLogFormat = accessLogFormat
        self.adminListen = adminListen
        self.cacheMaxSize = cacheMaxSize
        self.cacheLowWatermark = cacheLowWatermark
        self.cacheMaxAge = cacheMaxAge
        self.tls = tls
        self.drainDelay = drainDelay
        self.drainTimeout = drainTimeout
    }

    /// The configuration used when no file and no flags say otherwise: listen on
    /// `0.0.0.0:5000`, one upstream `docker.io` → `https://registry-1.docker.io`,
    /// store under `./cistern-data`.
    public static let embeddedDefault = Configuration()

    /// The upstream a request is routed to: the one named by containerd's `ns` query
    /// parameter, or ``defaultUpstream`` when `ns` is absent. Nil when `ns` names a
    /// registry that is not configured (the request must then be refused, not proxied).
    public func upstream(forNamespace namespace: String?) -> UpstreamConfiguration? {
        let wanted = namespace ?? defaultUpstream
        return upstreams.first { $0.name == wanted }
    }
}
