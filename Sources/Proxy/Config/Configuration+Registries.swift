import ProxyRegistry
import Yams

extension Configuration {
    /// Reads `registries:`, `routes:`, `storage_dir`, `upload_timeout` and `max_upload_size`
    /// (issue 16) from the document's top-level mapping into `configuration`.
    ///
    /// ```yaml
    /// registries:
    ///   - name: docker.io          # remote: every key of an `upstreams:` entry
    ///     type: remote             # default remote
    ///     url: https://registry-1.docker.io
    ///   - name: local
    ///     type: storage            # Cistern's own store of pushed images (at most one)
    /// routes:
    ///   - match: "mycorp/*"        # name, name:tag, or prefix* (`*` crosses `/`)
    ///     registry: local
    ///     pull: anyone             # anyone | authenticated | nobody | [user, ...]; default anyone
    ///     push: anyone             # push and delete; default nobody
    ///     quota: 10GiB             # storage routes: most blob bytes of its repositories; default none
    /// storage_dir: /var/lib/cistern/storage   # default <cache_dir>/storage
    /// upload_timeout: 1h
    /// max_upload_size: 10GiB       # 0 = no limit
    /// ```
    /// The remotes of `registries:` join those of `upstreams:` (which stays valid as
    /// shorthand); when either list is given, together they replace `base`'s upstreams.
    ///
    /// - Throws: ``ConfigurationError`` naming the key (`registries[1].type`, `routes[0].pull`).
    static func readRegistriesAndRoutes(_ reader: inout YAMLMappingReader, upstreamsGiven: [UpstreamConfiguration]?,
                                        into configuration: inout Configuration) throws {
        var remotes = upstreamsGiven
        if let node = reader.node("registries") {
            guard case .sequence(let sequence) = node else {
                throw ConfigurationError.invalidValue(key: "registries", value: YAMLMappingReader.summary(of: node), reason: "expected a list of registries")
            }
            var listed = remotes ?? []
            var storageName: String?
            for (index, element) in sequence.enumerated() {
                let path = "registries[\(index)]"
                var peek = try YAMLMappingReader(element, path: path)
                let type = try peek.string("type") ?? "remote"
                switch type {
                case "remote":
                    listed.append(try readUpstream(element, path: path, extraKeys: ["type"]))
                case "storage":
                    var storage = try YAMLMappingReader(element, path: path)
                    _ = storage.node("type")
                    guard let name = try storage.string("name") else { throw ConfigurationError.missingKey(key: "\(path).name") }
                    try storage.rejectUnknownKeys()
                    if let existing = storageName {
                        throw ConfigurationError.invalidValue(key: "\(path).type", value: type,
                                                              reason: "only one storage registry is supported (\(existing) is one)")
                    }
                    storageName = name
                default:
                    throw ConfigurationError.invalidValue(key: "\(path).type", value: type, reason: "expected remote or storage")
                }
            }
            configuration.storageRegistry = storageName
            if !listed.isEmpty { remotes = listed }
        }
        if let remotes, !remotes.isEmpty {
            var seen: Set<String> = []
            for (index, upstream) in remotes.enumerated() where !seen.insert(upstream.name).inserted {
                throw ConfigurationError.invalidValue(key: "registries[\(index)].name", value: upstream.name, reason: "another registry has the same name")
            }
            configuration.upstreams = remotes
            if !remotes.contains(where: { $0.name == configuration.defaultUpstream }), let first = remotes.first {
                configuration.defaultUpstream = first.name
            }
        }
        if let node = reader.node("routes") {
            guard case .sequence(let sequence) = node else {
                throw ConfigurationError.invalidValue(key: "routes", value: YAMLMappingReader.summary(of: node), reason: "expected a list of routes")
            }
            configuration.routes = try sequence.enumerated().map { index, element in try readRoute(element, path: "routes[\(index)]") }
        }
        if let directory = try reader.string("storage_dir") { configuration.storageDirectory = directory }
        if let timeout = try reader.duration("upload_timeout") { configuration.uploadTimeout = timeout }
        if let size = try reader.byteCount("max_upload_size") { configuration.maxUploadSize = size }
    }

    private static func readRoute(_ node: Node, path: String) throws -> RouteConfiguration {
        var reader = try YAMLMappingReader(node, path: path)
        guard let match = try reader.string("match") else { throw ConfigurationError.missingKey(key: reader.keyPath("match")) }
        guard let registry = try reader.string("registry") else { throw ConfigurationError.missingKey(key: reader.keyPath("registry")) }
        func principals(_ key: String, default value: AccessPrincipals) throws -> AccessPrincipals {
            let reason = "expected anyone, authenticated, nobody or a list of users"
            if case .sequence(let sequence) = reader.node(key) {
                let names = sequence.map { node -> String? in
                    if case .scalar(let scalar) = node { return scalar.string }
                    return nil
                }
                guard !names.contains(nil), let list = AccessPrincipals(userList: names.compactMap { $0 }) else {
                    throw ConfigurationError.invalidValue(key: reader.keyPath(key), value: YAMLMappingReader.summary(of: .sequence(sequence)),
                                                          reason: "expected a list of distinct user names")
                }
                return list
            }
            guard let text = try reader.string(key) else { return value }
            guard let principals = AccessPrincipals(configurationText: text) else {
                throw ConfigurationError.invalidValue(key: reader.keyPath(key), value: text, reason: reason)
            }
            return principals
        }
        let pull = try principals("pull", default: .anyone)
        let push = try principals("push", default: .nobody)
        let quota = try reader.byteCount("quota")
        try reader.rejectUnknownKeys()
        return RouteConfiguration(match: match, registry: registry, pull: pull, push: push, quota: quota)
    }
}
