import Yams

extension Configuration {
    /// Whether `yaml` is a CNCF distribution (`registry:2`) `config.yml` rather than Cistern's
    /// own format: its root mapping has `proxy:`, or both `version:` and `storage:` (keys
    /// Cistern's format never has). False for text that does not parse.
    public static func isDistributionFormat(yaml: String) -> Bool {
        guard let root = try? Yams.compose(yaml: yaml), case .mapping(let mapping) = root else { return false }
        let keys = Set(mapping.keys.compactMap(\.string))
        return keys.contains("proxy") || (keys.contains("version") && keys.contains("storage"))
    }

    /// Reads a distribution `config.yml` of a pull-through cache (issue 16 item 6), so that
    /// `cistern serve --config /etc/docker/registry/config.yml` replaces `registry:2` as is:
    ///
    /// ```yaml
    /// version: 0.1
    /// proxy:
    ///   remoteurl: https://registry-1.docker.io   # -> the one upstream (and the default)
    ///   username: user                            # -> its username
    ///   password: secret                          # -> its password
    ///   ttl: 168h                                 # -> cache_max_age (how long cached content is kept)
    /// storage:
    ///   filesystem:
    ///     rootdirectory: /var/lib/registry        # -> cache_dir
    /// http:
    ///   addr: :5000                               # -> listen
    ///   tls: {certificate: FILE, key: FILE}       # -> tls
    /// ```
    ///
    /// `auth.htpasswd.path` becomes `auth.htpasswd` with every repository's pull for
    /// authenticated users only, as distribution asks every request for a credential (its
    /// `realm` is replaced by Cistern's token endpoint). Every other key (`log`, `auth.token`,
    /// `storage.delete`, `http.secret`, ...) is ignored and named in the returned warnings,
    /// one a key, so nothing changes silently.
    ///
    /// - Returns: the configuration laid over `base` and validated, and the warnings.
    /// - Throws: ``ConfigurationError``: `.malformedYAML`; `.missingKey("proxy.remoteurl")`;
    ///   `.invalidValue` naming the distribution key (`proxy.remoteurl`, `http.addr`,
    ///   `proxy.ttl`).
    public static func loadDistribution(yaml: String, over base: Configuration = .embeddedDefault) throws
        -> (configuration: Configuration, warnings: [String])
    {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError.malformedYAML(reason: "\(error)")
        }
        guard let root else { throw ConfigurationError.missingKey(key: "proxy.remoteurl") }
        var reader = try YAMLMappingReader(root, path: "")
        var configuration = base
        var warnings: [String] = []
        _ = reader.node("version")

        guard let proxyNode = reader.node("proxy") else { throw ConfigurationError.missingKey(key: "proxy.remoteurl") }
        var proxy = try YAMLMappingReader(proxyNode, path: "proxy")
        guard let url = try proxy.string("remoteurl") else { throw ConfigurationError.missingKey(key: "proxy.remoteurl") }
        var upstream: UpstreamConfiguration
        do {
            upstream = try UpstreamConfiguration(name: "docker.io", url: url, username: try proxy.string("username"),
                                                 password: try proxy.string("password"))
        } catch let error as ConfigurationError {
            throw error.renamingKey { $0 == "url" ? "proxy.remoteurl" : "proxy.\($0)" }
        }
        upstream.name = upstream.derivedName
        configuration.upstreams = [upstream]
        configuration.defaultUpstream = upstream.name
        configuration.routes = []
        configuration.storageRegistry = nil
        if let ttl = try proxy.duration("ttl") { configuration.cacheMaxAge = ttl }
        warnings += proxy.unreadKeyPaths

        if let storageNode = reader.node("storage") {
            var storage = try YAMLMappingReader(storageNode, path: "storage")
            if let filesystemNode = storage.node("filesystem") {
                var filesystem = try YAMLMappingReader(filesystemNode, path: "storage.filesystem")
                if let directory = try filesystem.string("rootdirectory") { configuration.cacheDirectory = directory }
                warnings += filesystem.unreadKeyPaths
            }
            warnings += storage.unreadKeyPaths
        }
        if let httpNode = reader.node("http") {
            var http = try YAMLMappingReader(httpNode, path: "http")
            if let address = try http.listenAddress("addr") { configuration.listen = address }
            if let tlsNode = http.node("tls") {
                var tls = try YAMLMappingReader(tlsNode, path: "http.tls")
                let certificate = try tls.string("certificate")
                let key = try tls.string("key")
                warnings += tls.unreadKeyPaths
                if let certificate, let key {
                    configuration.tls = TLSListenerConfiguration(certificate: certificate, key: key)
                } else if certificate != nil || key != nil {
                    throw ConfigurationError.missingKey(key: certificate == nil ? "http.tls.certificate" : "http.tls.key")
                }
            }
            warnings += http.unreadKeyPaths
        }
        try readDistributionAuth(&reader, upstream: upstream.name, into: &configuration, warnings: &warnings)
        warnings += reader.unreadKeyPaths
        try configuration.validate()
        return (configuration, warnings.map { "\($0): ignored (a distribution config.yml key Cistern has no equivalent for)" })
    }

    /// `auth.htpasswd` of a distribution config.yml: the same bcrypt file, behind Cistern's
    /// token endpoint, and pulls for authenticated users only (what distribution enforces).
    /// - Throws: ``ConfigurationError/missingKey(key:)`` `auth.htpasswd.path`.
    private static func readDistributionAuth(_ reader: inout YAMLMappingReader, upstream: String, into configuration: inout Configuration,
                                             warnings: inout [String]) throws {
        guard let authNode = reader.node("auth") else { return }
        var auth = try YAMLMappingReader(authNode, path: "auth")
        if let htpasswdNode = auth.node("htpasswd") {
            var htpasswd = try YAMLMappingReader(htpasswdNode, path: "auth.htpasswd")
            _ = try htpasswd.string("realm")
            guard let path = try htpasswd.string("path") else { throw ConfigurationError.missingKey(key: "auth.htpasswd.path") }
            warnings += htpasswd.unreadKeyPaths
            configuration.auth = AuthConfiguration(htpasswd: path)
            configuration.routes = [RouteConfiguration(match: "*", registry: upstream, pull: .authenticated)]
        }
        warnings += auth.unreadKeyPaths
    }
}
