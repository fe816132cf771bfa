/// What serves a route: an upstream pulled through, or Cistern's own store of pushed images.
public enum RegistryKind: Hashable, Sendable {
    case remote
    case storage
}

/// The routes of issue 16 item 1 as a pure value: from a repository name (plus the tag of a
/// request by tag, plus containerd's `ns=`) to the registry that answers and what clients may
/// do there. Built once from the configuration; shared read-only by every loop.
///
/// Rules (issue 16, "Matching rules"):
/// - the most specific matching route wins: `name:tag`, then the exact name, then the longest
///   prefix; among equals the first configured;
/// - a route whose registry is Docker Hub matches the name after Docker Hub normalisation
///   (`alpine` → `library/alpine`);
/// - requests by digest (and blobs, uploads, tag lists) give no tag, so tag routes never
///   match them: they take the repository's route;
/// - with `ns=NAME`, NAME must be a configured remote (`index.docker.io` and
///   `registry-1.docker.io` mean `docker.io`), and only routes whose registry is NAME count;
/// - nothing matches → 403 DENIED naming the repository.
public struct RouteTable: Sendable, Equatable {
    /// One route.
    public struct Rule: Sendable, Equatable {
        public var pattern: RoutePattern
        /// The registry's configured name.
        public var registry: String
        public var kind: RegistryKind
        /// Whether names are Docker Hub-normalised before matching.
        public var isDockerHub: Bool
        public var pull: AccessPrincipals
        /// Push and delete.
        public var push: AccessPrincipals
        /// Storage routes: the most bytes of blobs its repositories may hold together (each
        /// digest once); nil = no limit.
        public var quota: Int64?

        public init(pattern: RoutePattern, registry: String, kind: RegistryKind, isDockerHub: Bool = false,
                    pull: AccessPrincipals = .anyone, push: AccessPrincipals = .nobody, quota: Int64? = nil) {
            self.quota = quota
            self.pattern = pattern.normalized(dockerHub: isDockerHub)
            self.registry = registry
            self.kind = kind
            self.isDockerHub = isDockerHub
            self.pull = pull
            self.push = push
        }
    }

    /// The routes in configuration order.
    public let rules: [Rule]
    /// The remote registries `ns=` may name.
    public let remoteNames: Set<String>

    /// - Parameters:
    ///   - rules: the routes in configuration order.
    ///   - remoteNames: every configured remote registry (the `ns=` allow-list).
    public init(rules: [Rule], remoteNames: Set<String>) {
        self.rules = rules
        self.remoteNames = remoteNames
        hasStorageRoutes = rules.contains { $0.kind == .storage }
    }

    /// The table without `routes:`: the default upstream serves every name, and each other
    /// remote every name asked for with its `ns=`; pull anyone, push nobody (as before routes).
    public static func implicit(defaultRemote: String, remotes: [(name: String, isDockerHub: Bool)]) -> RouteTable {
        let ordered = remotes.filter { $0.name == defaultRemote } + remotes.filter { $0.name != defaultRemote }
        return RouteTable(
            rules: ordered.map { Rule(pattern: .prefix(""), registry: $0.name, kind: .remote, isDockerHub: $0.isDockerHub) },
            remoteNames: Set(remotes.map(\.name)))
    }

    /// The route that applies to `name`.
    /// - Parameters:
    ///   - tag: the tag of a manifest request by tag; nil for every other request.
    ///   - ns: containerd's `ns=` parameter (nil or empty: absent).
    /// - Throws: DENIED (403) for an `ns` that names no configured remote, or when no route
    ///   matches (the message names the repository).
    public func route(for name: RepositoryName, tag: String?, ns: String?) throws(RegistryError) -> Rule {
        rules[try routeIndex(for: name, tag: tag, ns: ns)]
    }

    /// Whether any route leads to a storage registry (without one every write is refused
    /// before routing, as on a pull-only mirror).
    public let hasStorageRoutes: Bool

    /// The index in ``rules`` of the route that applies; see ``route(for:tag:ns:)``.
    public func routeIndex(for name: RepositoryName, tag: String?, ns: String?) throws(RegistryError) -> Int {
        var registry: String?
        if let ns, !ns.isEmpty {
            registry = try Self.canonical(ns: ns, remoteNames: remoteNames)
        }
        var best: Int?
        var bestSpecificity = -1
        var hubName: String?
        for (index, rule) in rules.enumerated() {
            if let registry, rule.registry != registry { continue }
            let specificity = rule.pattern.specificity
            if specificity <= bestSpecificity { continue }
            let candidate: String
            if rule.isDockerHub {
                if hubName == nil { hubName = name.normalized(dockerHub: true).string }
                candidate = hubName!
            } else {
                candidate = name.string
            }
            if rule.pattern.matches(candidate, tag: tag) {
                best = index
                bestSpecificity = specificity
            }
        }
        guard let best else {
            throw RegistryError(code: .denied, status: 403, message: "no route serves repository \(name.string)",
                                detail: registry.map { "no route for it leads to registry \($0)" } ?? name.string)
        }
        return best
    }

    /// The configured remote that `ns` names (Docker Hub's host names mean `docker.io`).
    private static func canonical(ns: String, remoteNames: Set<String>) throws(RegistryError) -> String {
        if remoteNames.contains(ns) { return ns }
        if ns == "index.docker.io" || ns == "registry-1.docker.io", remoteNames.contains("docker.io") { return "docker.io" }
        throw RegistryError(code: .denied, status: 403, message: "registry \(ns) is not mirrored here",
                            detail: "allowed: \(remoteNames.sorted().joined(separator: ", "))")
    }
}
