import Yams

extension Configuration {
    /// Reads a YAML configuration document and lays it over `base`.
    ///
    /// Keys (all optional; absent or null keeps `base`'s value):
    /// ```yaml
    /// listen: 0.0.0.0:5000          # HOST:PORT, [IPV6]:PORT, :PORT or PORT
    /// workers: 0                    # event loops; 0 = one per CPU this process may use
    /// cache_dir: ./cistern-data
    /// default_upstream: docker.io   # upstream name used when a request has no ?ns=
    /// upstreams:                    # replaces base's list entirely
    ///   - name: docker.io           # optional; derived from url's host (registry-1.docker.io → docker.io)
    ///     url: https://registry-1.docker.io   # required
    ///     username: alice           # optional; needs password_file
    ///     password_file: /run/secrets/hub     # trailing line breaks are dropped
    ///     insecure_skip_tls_verify: false
    ///     ca_file: /etc/cistern/ca.pem
    ///     proxy: http://proxy.example:3128   # or direct; default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY
    ///     max_manifest_gets_per_hour: 90     # default: no budget
    ///     rate_limit_scope: upstream         # or repository: what a 429 closes
    /// timeouts: { request_head: 30s, idle_keep_alive: 60s, client_write_stall: 60s,
    ///             upstream_connect: 10s, upstream_read_stall: 30s,
    ///             upstream_minimum_rate: 1024, upstream_minimum_rate_window: 30s }
    /// tag_ttl: 60s                  # 0 = revalidate every time
    /// serve_stale_on_denied: true   # a known tag is served stale when revalidation gets 401/403
    /// prefetch: false
    /// prefetch_platform: linux/amd64
    /// prefetch_concurrency: 4
    /// log_level: info
    /// access_log: true
    /// access_log_format: text      # text, json or logfmt
    /// admin_listen: 127.0.0.1:9090  # optional: /metrics, /healthz, /readyz on their own port
    /// cache_max_size: 200GiB        # 0 = no limit; KiB/MiB/GiB/TiB, KB/MB/GB/TB, bytes
    /// cache_low_watermark: 90%      # eviction stops at this share of cache_max_size
    /// cache_max_age: 0s             # content not read for this long is removed; 0 = never
    /// tls:                          # the listen address speaks only TLS; both keys required
    ///   certificate: /etc/cistern/tls/chain.pem   # leaf first, then intermediates
    ///   key: /etc/cistern/tls/key.pem
    /// drain_delay: 5s               # after SIGTERM: keep accepting (readyz 503) this long
    /// drain_timeout: 30s            # then: longest wait for responses in flight
    /// node_id: cistern-a            # this node in Via (loop detection); default host:port
    /// trusted_proxies: [127.0.0.1, 10.0.0.0/8]   # peers whose X-Forwarded-For is kept
    /// registries: [...]             # remote and storage registries; see readRegistriesAndRoutes
    /// routes: [...]                 # repository patterns → registries, pull/push principals
    /// storage_dir: ./cistern-data/storage
    /// upload_timeout: 1h
    /// max_upload_size: 0
    /// auth: {...}                   # client authentication; see AuthConfiguration
    /// ```
    /// An upstream may also set `ns: NAME` (sent as `?ns=NAME` on each of its requests) and
    /// `forward_client_address: false` (no `X-Forwarded-For` to it).
    /// Durations are `250ms`, `30s`, `2m`, `1h`, `1m30s`, or a bare number of **seconds**.
    /// When `upstreams` is given without `default_upstream`, the default stays `base`'s if
    /// that name is still listed, else becomes the first upstream listed. Relative paths
    /// (`password_file`, `ca_file`, `cache_dir`) are relative to the working directory.
    /// The result is validated (``validate()``).
    ///
    /// - Throws: ``ConfigurationError``: `.malformedYAML`, `.unknownKey` (any key not listed
    ///   above, at any level), `.duplicateKey`, `.missingKey` (an upstream without `url`),
    ///   `.invalidValue` naming the key path (`upstreams[1].url`).
    public static func load(yaml: String, over base: Configuration = .embeddedDefault) throws -> Configuration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError.malformedYAML(reason: "\(error)")
        }
        guard let root else {
            try base.validate()
            return base
        }
        var reader = try YAMLMappingReader(root, path: "")
        var configuration = base
        if let listen = try reader.listenAddress("listen") { configuration.listen = listen }
        if let workers = try reader.int("workers") { configuration.workers = workers }
        if let cacheDirectory = try reader.string("cache_dir") { configuration.cacheDirectory = cacheDirectory }
        var upstreamsGiven: [UpstreamConfiguration]?
        if let upstreamsNode = reader.node("upstreams") {
            upstreamsGiven = try readUpstreams(upstreamsNode)
            configuration.upstreams = upstreamsGiven ?? []
            if !configuration.upstreams.contains(where: { $0.name == configuration.defaultUpstream }),
                let first = configuration.upstreams.first
            {
                configuration.defaultUpstream = first.name
            }
        }
        try readRegistriesAndRoutes(&reader, upstreamsGiven: upstreamsGiven, into: &configuration)
        if let defaultUpstream = try reader.string("default_upstream") { configuration.defaultUpstream = defaultUpstream }
        if let timeoutsNode = reader.node("timeouts") {
            configuration.timeouts = try readTimeouts(timeoutsNode, over: configuration.timeouts)
        }
        if let tagTTL = try reader.duration("tag_ttl") { configuration.tagTTL = tagTTL }
        if let stale = try reader.bool("serve_stale_on_denied") { configuration.serveStaleOnDenied = stale }
        if let prefetch = try reader.bool("prefetch") { configuration.prefetch = prefetch }
        if let platform = try reader.string("prefetch_platform") { configuration.prefetchPlatform = platform }
        if let concurrency = try reader.int("prefetch_concurrency") { configuration.prefetchConcurrency = concurrency }
        if let logLevel = try reader.logLevel("log_level") { configuration.logLevel = logLevel }
        if let accessLog = try reader.bool("access_log") { configuration.accessLog = accessLog }
        if let format = try reader.accessLogFormat("access_log_format") { configuration.accessLogFormat = format }
        if let adminListen = try reader.listenAddress("admin_listen") { configuration.adminListen = adminListen }
        if let size = try reader.byteCount("cache_max_size") { configuration.cacheMaxSize = size }
        if let watermark = try reader.percentage("cache_low_watermark") { configuration.cacheLowWatermark = watermark }
        if let age = try reader.duration("cache_max_age") { configuration.cacheMaxAge = age }
        if let tlsNode = reader.node("tls") { configuration.tls = try readTLS(tlsNode) }
        if let delay = try reader.duration("drain_delay") { configuration.drainDelay = delay }
        if let timeout = try reader.duration("drain_timeout") { configuration.drainTimeout = timeout }
        try readFleetSettings(&reader, into: &configuration)
        try readAuth(&reader, into: &configuration)
        try reader.rejectUnknownKeys()
        try configuration.validate()
        return configuration
    }

    /// Reads the YAML file at `path` and lays it over `base`; see ``load(yaml:over:)``, or
    /// ``loadDistribution(yaml:over:)`` for a distribution `config.yml`
    /// (``isDistributionFormat(yaml:)``), whose warnings are dropped here.
    ///
    /// - Throws: ``ConfigurationError/unreadableConfigurationFile(path:reason:)``, or any
    ///   error of ``load(yaml:over:)``.
    public static func load(file path: String, over base: Configuration = .embeddedDefault) throws -> Configuration {
        try loadReportingWarnings(file: path, over: base).configuration
    }

    /// ``load(file:over:)`` with the warnings of a distribution `config.yml` (keys ignored),
    /// for the caller to log; none for Cistern's own format, which refuses unknown keys.
    public static func loadReportingWarnings(file path: String, over base: Configuration = .embeddedDefault) throws
        -> (configuration: Configuration, warnings: [String])
    {
        let text: String
        do {
            text = try ConfigurationFile.readText(atPath: path)
        } catch {
            throw ConfigurationError.unreadableConfigurationFile(path: path, reason: error.reason)
        }
        if isDistributionFormat(yaml: text) { return try loadDistribution(yaml: text, over: base) }
        return (try load(yaml: text, over: base), [])
    }

    private static func readUpstreams(_ node: Node) throws -> [UpstreamConfiguration] {
        guard case .sequence(let sequence) = node else {
            throw ConfigurationError.invalidValue(
                key: "upstreams", value: YAMLMappingReader.summary(of: node), reason: "expected a list of upstreams")
        }
        return try sequence.enumerated().map { index, element in
            try readUpstream(element, path: "upstreams[\(index)]")
        }
    }

    /// - Parameter extraKeys: keys the caller read itself (a `registries:` entry's `type`).
    static func readUpstream(_ node: Node, path: String, extraKeys: [String] = []) throws -> UpstreamConfiguration {
        var reader = try YAMLMappingReader(node, path: path)
        for key in extraKeys { _ = reader.node(key) }
        guard let url = try reader.string("url") else { throw ConfigurationError.missingKey(key: reader.keyPath("url")) }
        let explicitName = try reader.string("name")
        let username = try reader.string("username")
        let passwordFile = try reader.string("password_file")
        let password = try passwordFile.map {
            try ConfigurationFile.readSecret(atPath: $0, key: reader.keyPath("password_file"))
        }
        let insecure = try reader.bool("insecure_skip_tls_verify") ?? false
        let caFile = try reader.string("ca_file")
        let proxy = try reader.string("proxy").map { try EgressProxySetting.parse($0, key: reader.keyPath("proxy")) }
        let budget = try reader.int("max_manifest_gets_per_hour")
        let scope = try reader.string("rate_limit_scope")
        let namespace = try reader.string("ns")
        let forwardClientAddress = try reader.bool("forward_client_address") ?? true
        let credentials = try reader.string("credentials")
        let clientAccessTTL = try reader.duration("client_access_ttl")
        let mode = try Self.credentialMode(credentials, clientAccessTTL: clientAccessTTL, ownCredentials: username != nil || passwordFile != nil,
                                           reader: reader)
        if let scope, scope != "upstream" && scope != "repository" {
            throw ConfigurationError.invalidValue(key: reader.keyPath("rate_limit_scope"), value: scope, reason: "expected upstream or repository")
        }
        try reader.rejectUnknownKeys()
        do {
            var upstream = try UpstreamConfiguration(
                name: explicitName ?? "docker.io", url: url, username: username, password: password,
                insecureSkipTLSVerify: insecure, caFile: caFile)
            if explicitName == nil { upstream.name = upstream.derivedName }
            upstream.passwordFile = passwordFile
            if let proxy { upstream.proxy = proxy }
            upstream.maxManifestGetsPerHour = budget
            upstream.rateLimitPerRepository = scope == "repository"
            upstream.namespace = namespace
            upstream.forwardClientAddress = forwardClientAddress
            upstream.credentials = mode
            if let clientAccessTTL { upstream.clientAccessTTL = clientAccessTTL }
            return upstream
        } catch let error as ConfigurationError {
            throw error.renamingKey { "\(path).\($0)" }
        }
    }

    private static func readTLS(_ node: Node) throws -> TLSListenerConfiguration {
        var reader = try YAMLMappingReader(node, path: "tls")
        let certificate = try reader.string("certificate")
        let key = try reader.string("key")
        try reader.rejectUnknownKeys()
        guard let certificate else { throw ConfigurationError.missingKey(key: "tls.certificate") }
        guard let key else { throw ConfigurationError.missingKey(key: "tls.key") }
        return TLSListenerConfiguration(certificate: certificate, key: key)
    }

    private static func readTimeouts(_ node: Node, over base: Timeouts) throws -> Timeouts {
        var reader = try YAMLMappingReader(node, path: "timeouts")
        var timeouts = base
        if let value = try reader.duration("request_head") { timeouts.requestHead = value }
        if let value = try reader.duration("idle_keep_alive") { timeouts.idleKeepAlive = value }
        if let value = try reader.duration("client_write_stall") { timeouts.clientWriteStall = value }
        if let value = try reader.duration("upstream_connect") { timeouts.upstreamConnect = value }
        if let value = try reader.duration("upstream_read_stall") { timeouts.upstreamReadStall = value }
        if let value = try reader.int("upstream_minimum_rate") { timeouts.upstreamMinimumRate = value }
        if let value = try reader.duration("upstream_minimum_rate_window") { timeouts.upstreamMinimumRateWindow = value }
        try reader.rejectUnknownKeys()
        return timeouts
    }
}
