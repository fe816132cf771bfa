import ProxyRegistry
extension Configuration {
    /// The configuration as a YAML document in the file's own keys (see
    /// ``load(yaml:over:)``), for `cistern serve --print-config`: loading it back gives the same
    /// configuration. Secrets are never written: an upstream's password appears only as the
    /// `password_file` it was read from; a password set without a file (in code) is left out
    /// with a comment saying so. Strings are double-quoted YAML scalars.
    public var yamlText: String {
        var lines = [
            "listen: \(Self.quoted(listen.description))",
            "workers: \(workers)",
            "cache_dir: \(Self.quoted(cacheDirectory))",
            "default_upstream: \(Self.quoted(defaultUpstream))",
            "upstreams:",
        ]
        for upstream in upstreams {
            lines.append("  - name: \(Self.quoted(upstream.name))")
            lines.append("    url: \(Self.quoted(upstream.url))")
            if let username = upstream.username { lines.append("    username: \(Self.quoted(username))") }
            if let passwordFile = upstream.passwordFile {
                lines.append("    password_file: \(Self.quoted(passwordFile))")
            } else if upstream.password != nil {
                lines.append("    # a password is set but was not read from a file; it is not shown")
            }
            lines.append("    insecure_skip_tls_verify: \(upstream.insecureSkipTLSVerify)")
            if let caFile = upstream.caFile { lines.append("    ca_file: \(Self.quoted(caFile))") }
            if let budget = upstream.maxManifestGetsPerHour { lines.append("    max_manifest_gets_per_hour: \(budget)") }
            if upstream.rateLimitPerRepository { lines.append("    rate_limit_scope: repository") }
            if upstream.proxy != .environment {
                if case .proxy(let url) = upstream.proxy, url.password != nil { lines.append("    # the proxy's password is not shown") }
                lines.append("    proxy: \(Self.quoted(upstream.proxy.description))")
            }
            if let namespace = upstream.namespace { lines.append("    ns: \(Self.quoted(namespace))") }
            if !upstream.forwardClientAddress { lines.append("    forward_client_address: false") }
        }
        lines += [
            "timeouts:",
            "  request_head: \(timeouts.requestHead.configurationText)",
            "  idle_keep_alive: \(timeouts.idleKeepAlive.configurationText)",
            "  client_write_stall: \(timeouts.clientWriteStall.configurationText)",
            "  upstream_connect: \(timeouts.upstreamConnect.configurationText)",
            "  upstream_read_stall: \(timeouts.upstreamReadStall.configurationText)",
            "  upstream_minimum_rate: \(timeouts.upstreamMinimumRate)",
            "  upstream_minimum_rate_window: \(timeouts.upstreamMinimumRateWindow.configurationText)",
            "tag_ttl: \(tagTTL.configurationText)",
            "serve_stale_on_denied: \(serveStaleOnDenied)",
            "prefetch: \(prefetch)",
            "prefetch_platform: \(Self.quoted(prefetchPlatform))",
            "prefetch_concurrency: \(prefetchConcurrency)",
            "log_level: \(logLevel.rawValue)",
            "access_log: \(accessLog)",
            "access_log_format: \(accessLogFormat.rawValue)",
            "cache_max_size: \(ByteCountText.text(cacheMaxSize))",
            "cache_low_watermark: \(cacheLowWatermark)%",
            "cache_max_age: \(cacheMaxAge.configurationText)",
            "drain_delay: \(drainDelay.configurationText)",
            "drain_timeout: \(drainTimeout.configurationText)",
        ]
        // Null when unset: the host name plus the listen port, worked out at start.
        lines.append("node_id: " + (nodeID.map(Self.quoted) ?? "~"))
        lines.append("trusted_proxies: [" + trustedProxies.map { Self.quoted($0.description) }.joined(separator: ", ") + "]")
        // null (no admin address) is written too, so every key appears.
        lines.append("admin_listen: " + (adminListen.map { Self.quoted($0.description) } ?? "null"))
        if let tls {
            lines += ["tls:", "  certificate: \(Self.quoted(tls.certificate))", "  key: \(Self.quoted(tls.key))"]
        }
        lines += routesYAMLLines
        lines += authYAMLLines
        return lines.joined(separator: "\n") + "\n"
    }

    /// `registries:` (the storage registry; remotes are under `upstreams:`), `routes:` and the
    /// upload settings.
    private var routesYAMLLines: [String] {
        var lines: [String] = []
        if let storageRegistry {
            lines += ["registries:", "  - name: \(Self.quoted(storageRegistry))", "    type: storage"]
        } else {
            lines.append("registries: []")
        }
        if routes.isEmpty {
            lines.append("routes: []")
        } else {
            lines.append("routes:")
            for route in routes {
                lines += ["  - match: \(Self.quoted(route.match))", "    registry: \(Self.quoted(route.registry))",
                          "    pull: \(Self.principalsText(route.pull))", "    push: \(Self.principalsText(route.push))"]
                if let quota = route.quota { lines.append("    quota: \(ByteCountText.text(quota))") }
            }
        }
        lines.append("storage_dir: \(storageDirectory.map(Self.quoted) ?? "~")  # ~ = <cache_dir>/storage")
        lines += ["upload_timeout: \(uploadTimeout.configurationText)", "max_upload_size: \(ByteCountText.text(maxUploadSize))"]
        return lines
    }

    /// Principals as YAML: the scalar, or a flow sequence of quoted user names.
    private static func principalsText(_ principals: AccessPrincipals) -> String {
        switch principals {
        case .anyone, .authenticated, .nobody: principals.description
        case .users(let names): "[" + names.map(quoted).joined(separator: ", ") + "]"
        }
    }

    /// `text` as a YAML double-quoted scalar (YAML 1.2 section 7.3.1): `"` and `\` escaped,
    /// control characters as `\xHH`.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\u{0}"..."\u{1F}", "\u{7F}":
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
