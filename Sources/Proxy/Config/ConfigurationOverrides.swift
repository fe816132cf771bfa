import Logging
import ProxyLogging

/// Values given on the command line, each nil when its flag was absent; laid over a
/// ``Configuration`` (embedded default or YAML file) by ``applied(to:)``, so flags win.
///
/// The upstream flags address the *default* upstream only; other upstreams come from the file.
public struct ConfigurationOverrides: Sendable, Equatable {
    /// `--listen`.
    public var listen: ListenAddress?
    /// `--workers`.
    public var workers: Int?
    /// `--cache-dir`.
    public var cacheDirectory: String?
    /// `--upstream`: new base URL for the default upstream; its name is derived from the
    /// host (``UpstreamConfiguration/derivedName``, so registry-1.docker.io stays `docker.io`).
    public var upstreamURL: String?
    /// `--upstream-username`, for the default upstream.
    public var upstreamUsername: String?
    /// `--upstream-password-file`, for the default upstream; read by ``applied(to:)``.
    public var upstreamPasswordFile: String?
    /// `--upstream-insecure`: skip TLS verification for the default upstream.
    public var upstreamInsecureSkipTLSVerify: Bool?
    /// `--upstream-proxy`: `direct`, `environment` or a proxy URL for the default upstream.
    public var upstreamProxy: String?
    /// `--upstream-max-manifest-gets-per-hour`, for the default upstream.
    public var upstreamMaxManifestGetsPerHour: Int?
    /// `--tag-ttl`.
    public var tagTTL: Duration?
    /// `--serve-stale-on-denied` / `--no-serve-stale-on-denied`.
    public var serveStaleOnDenied: Bool?
    /// `--prefetch` / `--no-prefetch`.
    public var prefetch: Bool?
    /// `--prefetch-platform`.
    public var prefetchPlatform: String?
    /// `--prefetch-concurrency`.
    public var prefetchConcurrency: Int?
    /// `--log-level`.
    public var logLevel: Logger.Level?
    /// `--access-log` / `--no-access-log`.
    public var accessLog: Bool?
    /// `--access-log-format`.
    public var accessLogFormat: AccessLogFormat?
    /// `--admin-listen`.
    public var adminListen: ListenAddress?
    /// `--request-head-timeout`.
    public var requestHeadTimeout: Duration?
    /// `--idle-timeout`.
    public var idleKeepAliveTimeout: Duration?
    /// `--client-write-timeout`.
    public var clientWriteStallTimeout: Duration?
    /// `--upstream-connect-timeout`.
    public var upstreamConnectTimeout: Duration?
    /// `--upstream-read-timeout`.
    public var upstreamReadStallTimeout: Duration?
    /// `--upstream-minimum-rate`, bytes per second.
    public var upstreamMinimumRate: Int?
    /// `--cache-max-size`, bytes (0 = no limit).
    public var cacheMaxSize: Int64?
    /// `--cache-low-watermark`, percent.
    public var cacheLowWatermark: Int?
    /// `--cache-max-age`.
    public var cacheMaxAge: Duration?
    /// `--tls-certificate`: the listen address's certificate chain (PEM); needs a key
    /// (`--tls-key`, or the file's `tls.key`).
    public var tlsCertificate: String?
    /// `--tls-key`: the certificate's private key (PEM); needs a certificate.
    public var tlsKey: String?
    /// `--drain-delay`.
    public var drainDelay: Duration?
    /// `--drain-timeout`.
    public var drainTimeout: Duration?
    /// `--node-id`.
    public var nodeID: String?
    /// `--storage-dir`.
    public var storageDirectory: String?
    /// `--upload-timeout`.
    public var uploadTimeout: Duration?

    /// No overrides; set the fields whose flags were given.
    public init() {}

    /// `base` with every non-nil override applied, then validated.
    ///
    /// `--upstream` replaces the default upstream (and drops any other upstream that has the
    /// derived name) and makes it the default. Credentials, `ca_file` and the TLS opt-out
    /// carry over from the replaced entry only when the host is unchanged, so a secret meant
    /// for one registry is never sent to another.
    ///
    /// - Throws: ``ConfigurationError``: `.invalidValue` with key `--upstream` for a bad URL,
    ///   `--upstream-password-file` for an unreadable file or one given without a user name,
    ///   `--upstream-username` for one without a password, or any ``Configuration/validate()``
    ///   error, named by its flag when a flag set the value (`--workers`, `--tag-ttl`, …).
    public func applied(to base: Configuration) throws -> Configuration {
        var configuration = base
        if let listen { configuration.listen = listen }
        if let workers { configuration.workers = workers }
        if let cacheDirectory { configuration.cacheDirectory = cacheDirectory }
        if let tagTTL { configuration.tagTTL = tagTTL }
        if let serveStaleOnDenied { configuration.serveStaleOnDenied = serveStaleOnDenied }
        if let prefetch { configuration.prefetch = prefetch }
        if let prefetchPlatform { configuration.prefetchPlatform = prefetchPlatform }
        if let prefetchConcurrency { configuration.prefetchConcurrency = prefetchConcurrency }
        if let logLevel { configuration.logLevel = logLevel }
        if let accessLog { configuration.accessLog = accessLog }
        if let accessLogFormat { configuration.accessLogFormat = accessLogFormat }
        if let adminListen { configuration.adminListen = adminListen }
        if let requestHeadTimeout { configuration.timeouts.requestHead = requestHeadTimeout }
        if let idleKeepAliveTimeout { configuration.timeouts.idleKeepAlive = idleKeepAliveTimeout }
        if let clientWriteStallTimeout { configuration.timeouts.clientWriteStall = clientWriteStallTimeout }
        if let upstreamConnectTimeout { configuration.timeouts.upstreamConnect = upstreamConnectTimeout }
        if let upstreamReadStallTimeout { configuration.timeouts.upstreamReadStall = upstreamReadStallTimeout }
        if let upstreamMinimumRate { configuration.timeouts.upstreamMinimumRate = upstreamMinimumRate }
        if let cacheMaxSize { configuration.cacheMaxSize = cacheMaxSize }
        if let cacheLowWatermark { configuration.cacheLowWatermark = cacheLowWatermark }
        if let cacheMaxAge { configuration.cacheMaxAge = cacheMaxAge }
        if let drainDelay { configuration.drainDelay = drainDelay }
        if let drainTimeout { configuration.drainTimeout = drainTimeout }
        if let nodeID { configuration.nodeID = nodeID }
        if let storageDirectory { configuration.storageDirectory = storageDirectory }
        if let uploadTimeout { configuration.uploadTimeout = uploadTimeout }
        try applyUpstreamOverrides(to: &configuration)
        try applyTLSOverrides(to: &configuration)
        do {
            try configuration.validate()
        } catch let error as ConfigurationError {
            // A value a flag set is reported under the flag, not the YAML key it fills.
            throw error.renamingKey { key in flagName(forKey: key) ?? key }
        }
        return configuration
    }

    /// The flag that set the value at YAML `key`, or nil when no flag set it.
    private func flagName(forKey key: String) -> String? {
        let flags: [String: (flag: String, given: Bool)] = [
            "workers": ("--workers", workers != nil),
            "cache_dir": ("--cache-dir", cacheDirectory != nil),
            "tag_ttl": ("--tag-ttl", tagTTL != nil),
            "prefetch_platform": ("--prefetch-platform", prefetchPlatform != nil),
            "prefetch_concurrency": ("--prefetch-concurrency", prefetchConcurrency != nil),
            "timeouts.request_head": ("--request-head-timeout", requestHeadTimeout != nil),
            "timeouts.idle_keep_alive": ("--idle-timeout", idleKeepAliveTimeout != nil),
            "timeouts.client_write_stall": ("--client-write-timeout", clientWriteStallTimeout != nil),
            "timeouts.upstream_connect": ("--upstream-connect-timeout", upstreamConnectTimeout != nil),
            "timeouts.upstream_read_stall": ("--upstream-read-timeout", upstreamReadStallTimeout != nil),
            "timeouts.upstream_minimum_rate": ("--upstream-minimum-rate", upstreamMinimumRate != nil),
            "cache_max_size": ("--cache-max-size", cacheMaxSize != nil),
            "cache_low_watermark": ("--cache-low-watermark", cacheLowWatermark != nil),
            "cache_max_age": ("--cache-max-age", cacheMaxAge != nil),
            "tls.certificate": ("--tls-certificate", tlsCertificate != nil),
            "tls.key": ("--tls-key", tlsKey != nil),
            "drain_delay": ("--drain-delay", drainDelay != nil),
            "drain_timeout": ("--drain-timeout", drainTimeout != nil),
            "node_id": ("--node-id", nodeID != nil),
            "storage_dir": ("--storage-dir", storageDirectory != nil),
            "upload_timeout": ("--upload-timeout", uploadTimeout != nil),
        ]
        guard let entry = flags[key], entry.given else { return nil }
        return entry.flag
    }

    /// `--tls-certificate` and `--tls-key` replace the file's `tls` keys one by one; the
    /// pair must end up complete. Throws naming the flag given and the one missing.
    private func applyTLSOverrides(to configuration: inout Configuration) throws {
        guard tlsCertificate != nil || tlsKey != nil else { return }
        let certificate = tlsCertificate ?? configuration.tls?.certificate
        let key = tlsKey ?? configuration.tls?.key
        guard let certificate else {
            throw ConfigurationError.invalidValue(
                key: "--tls-key", value: tlsKey ?? "", reason: "needs a certificate chain (--tls-certificate)")
        }
        guard let key else {
            throw ConfigurationError.invalidValue(
                key: "--tls-certificate", value: certificate, reason: "needs the certificate's private key (--tls-key)")
        }
        configuration.tls = TLSListenerConfiguration(certificate: certificate, key: key)
    }

    private func applyUpstreamOverrides(to configuration: inout Configuration) throws {
        guard upstreamURL != nil || upstreamUsername != nil || upstreamPasswordFile != nil
            || upstreamInsecureSkipTLSVerify != nil || upstreamProxy != nil || upstreamMaxManifestGetsPerHour != nil
        else { return }
        let replacedIndex = configuration.upstreams.firstIndex { $0.name == configuration.defaultUpstream }
        var upstream: UpstreamConfiguration
        if let upstreamURL {
            do {
                upstream = try UpstreamConfiguration(name: "docker.io", url: upstreamURL)
            } catch let error as ConfigurationError {
                throw error.renamingKey { _ in "--upstream" }
            }
            upstream.name = upstream.derivedName
            if let replacedIndex, configuration.upstreams[replacedIndex].host == upstream.host {
                let replaced = configuration.upstreams[replacedIndex]
                upstream.username = replaced.username
                upstream.password = replaced.password
                upstream.passwordFile = replaced.passwordFile
                upstream.caFile = replaced.caFile
                upstream.insecureSkipTLSVerify = replaced.insecureSkipTLSVerify
                upstream.proxy = replaced.proxy
                upstream.maxManifestGetsPerHour = replaced.maxManifestGetsPerHour
                upstream.rateLimitPerRepository = replaced.rateLimitPerRepository
                upstream.namespace = replaced.namespace
                upstream.forwardClientAddress = replaced.forwardClientAddress
            }
        } else if let replacedIndex {
            upstream = configuration.upstreams[replacedIndex]
        } else {
            throw ConfigurationError.invalidValue(
                key: "default_upstream", value: configuration.defaultUpstream, reason: "names no upstream to apply --upstream-* flags to")
        }
        if let upstreamUsername { upstream.username = upstreamUsername }
        if let upstreamPasswordFile {
            upstream.password = try ConfigurationFile.readSecret(atPath: upstreamPasswordFile, key: "--upstream-password-file")
            upstream.passwordFile = upstreamPasswordFile
        }
        // Name the flag that made the pair incomplete, not the YAML key it fills.
        if let upstreamPasswordFile, upstream.username == nil {
            throw ConfigurationError.invalidValue(
                key: "--upstream-password-file", value: upstreamPasswordFile,
                reason: "a password needs a user name (--upstream-username)")
        }
        if let upstreamUsername, upstream.password == nil {
            throw ConfigurationError.invalidValue(
                key: "--upstream-username", value: upstreamUsername,
                reason: "a user name needs a password (--upstream-password-file)")
        }
        if let upstreamInsecureSkipTLSVerify { upstream.insecureSkipTLSVerify = upstreamInsecureSkipTLSVerify }
        if let upstreamProxy { upstream.proxy = try EgressProxySetting.parse(upstreamProxy, key: "--upstream-proxy") }
        if let upstreamMaxManifestGetsPerHour {
            guard upstreamMaxManifestGetsPerHour >= 1 else {
                throw ConfigurationError.invalidValue(key: "--upstream-max-manifest-gets-per-hour", value: "\(upstreamMaxManifestGetsPerHour)",
                                                      reason: "must be at least 1 (leave it out for no budget)")
            }
            upstream.maxManifestGetsPerHour = upstreamMaxManifestGetsPerHour
        }

        if let replacedIndex {
            configuration.upstreams[replacedIndex] = upstream
        } else {
            configuration.upstreams.insert(upstream, at: 0)
        }
        let keptIndex = replacedIndex ?? 0
        configuration.upstreams = configuration.upstreams.enumerated()
            .filter { index, other in index == keptIndex || other.name != upstream.name }
            .map(\.element)
        configuration.defaultUpstream = upstream.name
    }
}
