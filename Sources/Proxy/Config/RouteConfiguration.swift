import ProxyRegistry

/// One entry of the YAML `routes:` list (issue 16 item 1): repositories matching `match` are
/// served by the registry named `registry`, with the clients allowed to pull and to push
/// (push covers delete). Checked by ``Configuration/validate()``; turned into a
/// ``RouteTable`` by ``Configuration/routeTable``.
public struct RouteConfiguration: Sendable, Equatable {
    /// The `match:` text: `name`, `name:tag` or `prefix*` (see ``RoutePattern``).
    public var match: String
    /// The name of a registry in `registries:` (or `upstreams:`).
    public var registry: String
    /// `pull:`; default anyone.
    public var pull: AccessPrincipals
    /// `push:` (push and delete); default nobody.
    public var push: AccessPrincipals
    /// `quota:` (storage routes only): the most bytes of blobs the route's repositories may
    /// hold together, each digest counted once; nil = no limit.
    public var quota: Int64?

    public init(match: String, registry: String, pull: AccessPrincipals = .anyone, push: AccessPrincipals = .nobody, quota: Int64? = nil) {
        self.match = match
        self.registry = registry
        self.pull = pull
        self.push = push
        self.quota = quota
    }
}

extension Configuration {
    /// The routes as a ``RouteTable``: the configured `routes:`, or without any the implicit
    /// table (the default upstream serves every name, pull anyone). Call on a validated
    /// configuration (patterns that do not parse are left out).
    public var routeTable: RouteTable {
        let remotes = upstreams.map { (name: $0.name, isDockerHub: $0.isDockerHub) }
        guard !routes.isEmpty else { return .implicit(defaultRemote: defaultUpstream, remotes: remotes) }
        let hub = Set(upstreams.filter(\.isDockerHub).map(\.name))
        let rules = routes.compactMap { route -> RouteTable.Rule? in
            guard let pattern = try? RoutePattern(configurationText: route.match) else { return nil }
            return RouteTable.Rule(pattern: pattern, registry: route.registry, kind: route.registry == storageRegistry ? .storage : .remote,
                                   isDockerHub: hub.contains(route.registry), pull: route.pull, push: route.push, quota: route.quota)
        }
        return RouteTable(rules: rules, remoteNames: Set(upstreams.map(\.name)))
    }

    /// Where pushed content lives: ``storageDirectory``, or `<cache_dir>/storage`.
    public var effectiveStorageDirectory: String {
        if let storageDirectory { return storageDirectory }
        return (cacheDirectory.hasSuffix("/") ? String(cacheDirectory.dropLast()) : cacheDirectory) + "/storage"
    }

    private static func trimmedDirectory(_ path: String) -> Substring {
        var text = Substring(path)
        while text.count > 1, text.hasSuffix("/") { text = text.dropLast() }
        return text
    }

    /// Checks `registries:`, `routes:` and the upload limits.
    ///
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)``: `registries` when the
    ///   storage registry has a remote's name; `routes[i].match` for a pattern that does not
    ///   parse; `routes[i].registry` naming no registry; `routes[i].push` other than nobody on
    ///   a remote (remotes are read-only); `routes[i].quota` on a remote or ≤ 0; `upload_timeout` ≤ 0; `max_upload_size` < 0; `storage_dir`
    ///   empty or the cache directory.
    func validateRoutes() throws {
        let remoteNames = Set(upstreams.map(\.name))
        if let storageRegistry, remoteNames.contains(storageRegistry) {
            throw ConfigurationError.invalidValue(key: "registries", value: storageRegistry, reason: "a storage registry and a remote share this name")
        }
        for (index, route) in routes.enumerated() {
            do {
                _ = try RoutePattern(configurationText: route.match)
            } catch {
                throw ConfigurationError.invalidValue(key: "routes[\(index)].match", value: route.match, reason: error.reason)
            }
            let isStorage = route.registry == storageRegistry
            guard isStorage || remoteNames.contains(route.registry) else {
                let known = (upstreams.map(\.name) + (storageRegistry.map { [$0] } ?? [])).joined(separator: ", ")
                throw ConfigurationError.invalidValue(key: "routes[\(index)].registry", value: route.registry,
                                                      reason: "names no registry (configured: \(known))")
            }
            if let quota = route.quota, !isStorage || quota <= 0 {
                throw ConfigurationError.invalidValue(key: "routes[\(index)].quota", value: "\(quota)",
                                                      reason: isStorage ? "must be more than 0 bytes" : "\(route.registry) is a remote registry: only storage routes take a quota")
            }
            if !isStorage && route.push != .nobody {
                throw ConfigurationError.invalidValue(key: "routes[\(index)].push", value: route.push.description,
                                                      reason: "\(route.registry) is a remote registry, which is read-only: push must be nobody")
            }
        }
        if uploadTimeout <= .zero {
            throw ConfigurationError.invalidValue(key: "upload_timeout", value: uploadTimeout.configurationText, reason: "must be greater than zero")
        }
        if maxUploadSize < 0 {
            throw ConfigurationError.invalidValue(key: "max_upload_size", value: "\(maxUploadSize)", reason: "must be 0 (no limit) or more bytes")
        }
        if let storageDirectory, storageDirectory.isEmpty {
            throw ConfigurationError.invalidValue(key: "storage_dir", value: "", reason: "must not be empty")
        }
        if let storageDirectory, Self.trimmedDirectory(storageDirectory) == Self.trimmedDirectory(cacheDirectory) {
            throw ConfigurationError.invalidValue(key: "storage_dir", value: storageDirectory,
                                                  reason: "must not be the cache directory (the cache's eviction would remove pushed content)")
        }
    }
}
