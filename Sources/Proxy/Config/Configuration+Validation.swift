extension Configuration {
    /// The smallest `cache_max_size` accepted (bytes): below it not even the cache's empty
    /// directory tree fits.
    public static let smallestCacheMaxSize: Int64 = 64 << 10

    /// Checks the cross-field and range rules no single key can check alone.
    ///
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` naming the YAML key:
    ///   `workers` < 0; `cache_dir` empty; `upstreams` empty; a duplicate upstream `name`;
    ///   a `username` without a password or the reverse; `default_upstream` naming no
    ///   upstream; a negative `tag_ttl`; a timeout ≤ 0 (`upstream_minimum_rate` < 0);
    ///   `prefetch_platform` not `os/arch[/variant]`; `prefetch_concurrency` < 1; a negative
    ///   `drain_delay`; a `drain_timeout` ≤ 0; `tls.certificate` or `tls.key` unusable, or a
    ///   key that is not the certificate's.
    public func validate() throws {
        if workers < 0 {
            throw ConfigurationError.invalidValue(key: "workers", value: "\(workers)", reason: "must be 0 (one per CPU) or more")
        }
        if cacheDirectory.isEmpty {
            throw ConfigurationError.invalidValue(key: "cache_dir", value: "", reason: "must not be empty")
        }
        if upstreams.isEmpty {
            throw ConfigurationError.invalidValue(key: "upstreams", value: "[]", reason: "at least one upstream is required")
        }
        var seenNames: Set<String> = []
        for (index, upstream) in upstreams.enumerated() {
            if !seenNames.insert(upstream.name).inserted {
                throw ConfigurationError.invalidValue(
                    key: "upstreams[\(index)].name", value: upstream.name, reason: "another upstream has the same name")
            }
            if upstream.username != nil && upstream.password == nil {
                throw ConfigurationError.invalidValue(
                    key: "upstreams[\(index)].username", value: upstream.username ?? "",
                    reason: "a username needs a password (password_file)")
            }
            if let budget = upstream.maxManifestGetsPerHour, budget < 1 {
                throw ConfigurationError.invalidValue(
                    key: "upstreams[\(index)].max_manifest_gets_per_hour", value: "\(budget)", reason: "must be at least 1 (leave it out for no budget)")
            }
            if upstream.username == nil && upstream.password != nil {
                throw ConfigurationError.missingKey(key: "upstreams[\(index)].username")
            }
        }
        if !seenNames.contains(defaultUpstream) {
            throw ConfigurationError.invalidValue(
                key: "default_upstream", value: defaultUpstream,
                reason: "names no upstream (configured: \(upstreams.map(\.name).joined(separator: ", ")))")
        }
        if tagTTL < .zero {
            throw ConfigurationError.invalidValue(key: "tag_ttl", value: tagTTL.configurationText, reason: "must not be negative")
        }
        try validateTimeouts()
        let platformParts = prefetchPlatform.split(separator: "/", omittingEmptySubsequences: false)
        if !(2...3).contains(platformParts.count) || platformParts.contains(where: \.isEmpty) {
            throw ConfigurationError.invalidValue(
                key: "prefetch_platform", value: prefetchPlatform, reason: "expected os/arch or os/arch/variant, e.g. linux/amd64")
        }
        if cacheMaxSize < 0 || (cacheMaxSize > 0 && cacheMaxSize < Self.smallestCacheMaxSize) {
            throw ConfigurationError.invalidValue(
                key: "cache_max_size", value: "\(cacheMaxSize)",
                reason: "must be 0 (no limit) or at least 64KiB (the cache's own directories take about 40 KB), e.g. 200GiB")
        }
        if !(1...100).contains(cacheLowWatermark) {
            throw ConfigurationError.invalidValue(
                key: "cache_low_watermark", value: "\(cacheLowWatermark)%", reason: "must be a percentage from 1% to 100%")
        }
        if cacheMaxAge < .zero {
            throw ConfigurationError.invalidValue(key: "cache_max_age", value: cacheMaxAge.configurationText, reason: "must not be negative")
        }
        if drainDelay < .zero {
            throw ConfigurationError.invalidValue(key: "drain_delay", value: drainDelay.configurationText, reason: "must not be negative")
        }
        if drainTimeout <= .zero {
            throw ConfigurationError.invalidValue(
                key: "drain_timeout", value: drainTimeout.configurationText, reason: "must be greater than zero")
        }
        try validateRoutes()
        try validateAuth()
        if prefetchConcurrency < 1 {
            throw ConfigurationError.invalidValue(
                key: "prefetch_concurrency", value: "\(prefetchConcurrency)", reason: "must be at least 1")
        }
        try validateFleetSettings()
        try tls?.validate()
    }

    private func validateTimeouts() throws {
        let positive: [(key: String, value: Duration)] = [
            ("timeouts.request_head", timeouts.requestHead),
            ("timeouts.idle_keep_alive", timeouts.idleKeepAlive),
            ("timeouts.client_write_stall", timeouts.clientWriteStall),
            ("timeouts.upstream_connect", timeouts.upstreamConnect),
            ("timeouts.upstream_read_stall", timeouts.upstreamReadStall),
            ("timeouts.upstream_minimum_rate_window", timeouts.upstreamMinimumRateWindow),
        ]
        for (key, value) in positive where value <= .zero {
            throw ConfigurationError.invalidValue(key: key, value: value.configurationText, reason: "must be greater than zero")
        }
        if timeouts.upstreamMinimumRate < 0 {
            throw ConfigurationError.invalidValue(
                key: "timeouts.upstream_minimum_rate", value: "\(timeouts.upstreamMinimumRate)",
                reason: "must be 0 (disabled) or more bytes per second")
        }
    }
}
