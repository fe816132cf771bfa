import Testing

@testable import ProxyConfig
@testable import ProxyRegistry

/// The route table (issue 16 item 1) as a pure value, by tables: specificity, `*` across `/`,
/// Docker Hub normalisation, digests never taking a tag route, `ns=`, and no route → DENIED.
@Suite struct RouteTableTests {
    private static let yaml = """
        registries:
          - name: docker.io
            type: remote
            url: https://registry-1.docker.io
          - name: quay.io
            url: https://quay.io
          - name: local
            type: storage
        routes:
          - match: "mycorp/*"
            registry: local
            pull: anyone
            push: anyone
          - match: "mycorp/public/*"
            registry: quay.io
          - match: "mycorp/app:legacy"
            registry: docker.io
          - match: "mycorp/exact"
            registry: docker.io
          - match: "alpine"
            registry: docker.io
            pull: nobody
          - match: "*"
            registry: docker.io
          - match: "quayonly/*"
            registry: quay.io
        """

    private static func table() throws -> RouteTable {
        try Configuration.load(yaml: yaml).routeTable
    }

    @Test(arguments: [
        // (name, tag, ns, expected registry or "DENIED")
        ("mycorp/app", "1", nil, "local"),
        ("mycorp/app", nil, nil, "local"),  // a digest request: never the tag route
        ("mycorp/app", "legacy", nil, "docker.io"),  // name:tag beats the prefix
        ("mycorp/a/b/c", "1", nil, "local"),  // `*` crosses `/`
        ("mycorp/public/x", "1", nil, "quay.io"),  // the longer prefix wins
        ("mycorp/exact", nil, nil, "docker.io"),  // an exact name beats every prefix
        ("library/alpine", "3", nil, "docker.io"),  // Hub normalisation: alpine == library/alpine
        ("busybox", "1", nil, "docker.io"),
        ("quayonly/x", "1", nil, "quay.io"),
        ("mycorp/app", "1", "docker.io", "docker.io"),  // ns: the most specific route of that registry
        ("mycorp/public/x", "1", "docker.io", "docker.io"),
        ("quayonly/x", "1", "quay.io", "quay.io"),
        ("busybox", "1", "quay.io", "DENIED"),  // no quay.io route for it
        ("busybox", "1", "ghcr.io", "DENIED"),  // ns names no configured remote
        ("busybox", "1", "index.docker.io", "docker.io"),
    ] as [(String, String?, String?, String)])
    func routeChoosesTheRegistry(name: String, tag: String?, ns: String?, expected: String) throws {
        let table = try Self.table()
        let repository = try RepositoryName(parsing: name)
        do {
            let rule = try table.route(for: repository, tag: tag, ns: ns)
            #expect(rule.registry == expected, "\(name):\(tag ?? "@digest") ns=\(ns ?? "-")")
        } catch {
            #expect(expected == "DENIED", "\(name): \(error)")
            #expect(error.code == .denied && error.status == 403)
        }
    }

    @Test func principalsComeFromTheMatchingRoute() throws {
        let table = try Self.table()
        let alpine = try table.route(for: RepositoryName(parsing: "alpine"), tag: "3", ns: nil)
        #expect(alpine.pull == .nobody && alpine.push == .nobody)
        let pushed = try table.route(for: RepositoryName(parsing: "mycorp/app"), tag: "1", ns: nil)
        #expect(pushed.kind == .storage && pushed.pull == .anyone && pushed.push == .anyone)
    }

    @Test func noMatchingRouteIsDeniedNamingTheRepository() throws {
        let configuration = try Configuration.load(yaml: """
            registries: [{name: local, type: storage}]
            routes: [{match: "mycorp/*", registry: local}]
            """)
        #expect(throws: RegistryError.self) { try configuration.routeTable.route(for: RepositoryName(parsing: "other/app"), tag: nil, ns: nil) }
        do {
            _ = try configuration.routeTable.route(for: RepositoryName(parsing: "other/app"), tag: nil, ns: nil)
        } catch {
            #expect(error.message.contains("other/app"))
        }
    }

    @Test func withoutRoutesTheDefaultUpstreamServesEveryNameAndNsPicksAnother() throws {
        let configuration = try Configuration.load(yaml: """
            upstreams: [{name: one, url: "http://127.0.0.1:1"}, {name: two, url: "http://127.0.0.1:2"}]
            default_upstream: two
            """)
        let table = configuration.routeTable
        #expect(!table.hasStorageRoutes)
        #expect(try table.route(for: RepositoryName(parsing: "a/b"), tag: "x", ns: nil).registry == "two")
        #expect(try table.route(for: RepositoryName(parsing: "a/b"), tag: "x", ns: "one").registry == "one")
        #expect(try table.route(for: RepositoryName(parsing: "a/b"), tag: nil, ns: nil).pull == .anyone)
    }

    @Test(arguments: [
        ("routes: [{match: \"mycorp/*\", registry: nowhere}]", "routes[0].registry"),
        ("routes: [{match: \"my*corp\", registry: local}]", "routes[0].match"),
        ("routes: [{match: \"*:latest\", registry: local}]", "routes[0].match"),
        ("routes: [{match: \"Upper\", registry: local}]", "routes[0].match"),
        ("routes: [{match: \"a\", registry: local, pull: everyone}]", "routes[0].pull"),
        ("routes: [{match: \"a\", registry: docker.io, push: anyone}]", "routes[0].push"),
        ("routes: [{match: \"a\", registry: local, colour: red}]", "routes[0].colour"),
        ("registries: [{name: other, type: storage}]", "registries[2].type"),
        ("registries: [{name: other, type: cloud}]", "registries[2].type"),
        ("upload_timeout: 0s", "upload_timeout"),
        ("routes: [{match: \"a\", registry: docker.io, quota: 1GiB}]", "routes[0].quota"),
        ("routes: [{match: \"a\", registry: local, quota: 0}]", "routes[0].quota"),
        ("cache_dir: /var/cache/cistern\nstorage_dir: /var/cache/cistern/", "storage_dir"),
    ])
    func misconfigurationFailsNamingTheKey(extra: String, key: String) throws {
        var yaml = """
            registries:
              - name: docker.io
                url: https://registry-1.docker.io
              - name: local
                type: storage

            """
        if extra.hasPrefix("registries: ") {
            yaml = yaml.replacingOccurrences(of: "    type: storage\n", with: "    type: storage\n  - " + extra.dropFirst("registries: [".count).dropLast() + "\n")
            yaml = yaml.replacingOccurrences(of: "  - {", with: "  - {")
        } else {
            yaml += extra + "\n"
        }
        do {
            _ = try Configuration.load(yaml: yaml)
            Issue.record("accepted: \(extra)")
        } catch let error as ConfigurationError {
            #expect(error.description.hasPrefix(key), "\(error)")
        }
    }
}
