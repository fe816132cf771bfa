extension Configuration {
    /// How a setting behaves when SIGHUP reloads the configuration.
    public enum ReloadEffect: Sendable, Equatable {
        /// Applied to the running process at once (new requests, new log lines, the next drain).
        case live
        /// Kept at its start-up value until the process restarts: it shaped something built
        /// once (the listening socket, the loops, the store, the upstream connections).
        case restartOnly
    }

    /// Every top-level YAML key (and `timeouts.*` key), how a reload treats it, and how to
    /// tell whether two configurations differ there. A key added to the configuration must be
    /// added here too (`ConfigurationReloadTests` checks every key `yamlText` writes).
    public static let reloadTable: [(key: String, effect: ReloadEffect, differs: @Sendable (Configuration, Configuration) -> Bool)] = [
        ("listen", .restartOnly, { $0.listen != $1.listen }),
        ("workers", .restartOnly, { $0.workers != $1.workers }),
        ("cache_dir", .restartOnly, { $0.cacheDirectory != $1.cacheDirectory }),
        ("default_upstream", .restartOnly, { $0.defaultUpstream != $1.defaultUpstream }),
        // Credentials included: the upstream registries and their connection pools are built once.
        ("upstreams", .restartOnly, { $0.upstreams != $1.upstreams }),
        ("timeouts.request_head", .live, { $0.timeouts.requestHead != $1.timeouts.requestHead }),
        ("timeouts.idle_keep_alive", .live, { $0.timeouts.idleKeepAlive != $1.timeouts.idleKeepAlive }),
        ("timeouts.client_write_stall", .live, { $0.timeouts.clientWriteStall != $1.timeouts.clientWriteStall }),
        ("timeouts.upstream_connect", .restartOnly, { $0.timeouts.upstreamConnect != $1.timeouts.upstreamConnect }),
        ("timeouts.upstream_read_stall", .restartOnly, { $0.timeouts.upstreamReadStall != $1.timeouts.upstreamReadStall }),
        ("timeouts.upstream_minimum_rate", .restartOnly, { $0.timeouts.upstreamMinimumRate != $1.timeouts.upstreamMinimumRate }),
        ("timeouts.upstream_minimum_rate_window", .restartOnly,
         { $0.timeouts.upstreamMinimumRateWindow != $1.timeouts.upstreamMinimumRateWindow }),
        ("tag_ttl", .live, { $0.tagTTL != $1.tagTTL }),
        ("serve_stale_on_denied", .live, { $0.serveStaleOnDenied != $1.serveStaleOnDenied }),
        ("prefetch", .restartOnly, { $0.prefetch != $1.prefetch }),
        ("prefetch_platform", .restartOnly, { $0.prefetchPlatform != $1.prefetchPlatform }),
        ("prefetch_concurrency", .restartOnly, { $0.prefetchConcurrency != $1.prefetchConcurrency }),
        ("log_level", .live, { $0.logLevel != $1.logLevel }),
        ("access_log", .live, { $0.accessLog != $1.accessLog }),
        ("access_log_format", .restartOnly, { $0.accessLogFormat != $1.accessLogFormat }),
        ("admin_listen", .restartOnly, { $0.adminListen != $1.adminListen }),
        ("cache_max_size", .restartOnly, { $0.cacheMaxSize != $1.cacheMaxSize }),
        ("cache_low_watermark", .restartOnly, { $0.cacheLowWatermark != $1.cacheLowWatermark }),
        ("cache_max_age", .restartOnly, { $0.cacheMaxAge != $1.cacheMaxAge }),
        ("drain_delay", .live, { $0.drainDelay != $1.drainDelay }),
        ("drain_timeout", .live, { $0.drainTimeout != $1.drainTimeout }),
        // Both shape each loop's connections and upstream requests, built once at start.
        ("node_id", .restartOnly, { $0.nodeID != $1.nodeID }),
        ("trusted_proxies", .restartOnly, { $0.trustedProxies != $1.trustedProxies }),
        // The paths: the listen address's TLS is set up once. The files they name are read
        // again at every reload (a renewed certificate is served to new connections).
        ("tls.certificate", .restartOnly, { $0.tls?.certificate != $1.tls?.certificate }),
        ("tls.key", .restartOnly, { $0.tls?.key != $1.tls?.key }),
        // The route table and the storage are built once with the shared services.
        ("registries", .restartOnly, { $0.storageRegistry != $1.storageRegistry }),
        ("routes", .restartOnly, { $0.routes != $1.routes }),
        ("storage_dir", .restartOnly, { $0.storageDirectory != $1.storageDirectory }),
        ("upload_timeout", .restartOnly, { $0.uploadTimeout != $1.uploadTimeout }),
        ("max_upload_size", .restartOnly, { $0.maxUploadSize != $1.maxUploadSize }),
        // Built once with the shared services, like the routes. The htpasswd file itself is read
        // again at every reload (users added or removed, passwords changed apply at once).
        ("auth.htpasswd", .restartOnly, { $0.auth?.htpasswd != $1.auth?.htpasswd }),
        ("auth.token_key_file", .restartOnly, { $0.auth?.tokenKeyFile != $1.auth?.tokenKeyFile }),
        ("auth.token_ttl", .restartOnly, { $0.auth?.tokenTTL != $1.auth?.tokenTTL }),
        ("auth.max_failed_attempts", .restartOnly, { $0.auth?.maxFailedAttempts != $1.auth?.maxFailedAttempts }),
        ("auth.failed_attempts_window", .restartOnly, { $0.auth?.failedAttemptsWindow != $1.auth?.failedAttemptsWindow }),
    ]

    /// The keys (``reloadTable`` order) whose value in `new` differs from this running
    /// configuration's, with how a reload treats each.
    public func reloadChanges(to new: Configuration) -> [(key: String, effect: ReloadEffect)] {
        Self.reloadTable.filter { $0.differs(self, new) }.map { ($0.key, $0.effect) }
    }

    /// This running configuration with the ``ReloadEffect/live`` settings of `new`: what the
    /// process runs with after a reload to `new` (restart-only settings keep their values).
    public func applyingLiveSettings(of new: Configuration) -> Configuration {
        var result = self
        result.timeouts.requestHead = new.timeouts.requestHead
        result.timeouts.idleKeepAlive = new.timeouts.idleKeepAlive
        result.timeouts.clientWriteStall = new.timeouts.clientWriteStall
        result.tagTTL = new.tagTTL
        result.serveStaleOnDenied = new.serveStaleOnDenied
        result.logLevel = new.logLevel
        result.accessLog = new.accessLog
        result.drainDelay = new.drainDelay
        result.drainTimeout = new.drainTimeout
        return result
    }
}
