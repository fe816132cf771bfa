import Foundation
import Testing

/// The uncached pass-through endpoints (issue 4 item 8.8): `tags/list` (distribution-spec
/// end-8a/8b with `n`, `last` and the `Link` field) and the OCI 1.1 referrers API (end-12a/12b
/// with `artifactType` and `OCI-Filters-Applied`).
///
/// docker-registry 2.8 ignores `n` and `last` (it always lists every tag, unsorted and
/// without `Link`), so against it the test shows byte-identical pass-through and that the
/// query is forwarded; pagination itself is exercised against the fake upstream, which
/// implements it. docker-registry 2.8 has no referrers API at all.
@Suite struct PassThroughTests {
    /// The tags of a `tags/list` body.
    private static func tags(_ body: [UInt8]) -> [String]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        return object["tags"] as? [String]
    }

    /// The URI inside `<…>` of a `Link` field value (RFC 8288).
    private static func linkTarget(_ link: String?) -> String? {
        guard let link, let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"), open < close else { return nil }
        return String(link[link.index(after: open)..<close])
    }

    @Test func tagsListFromTheRealRegistryIsPassedThroughByteForByteWithItsQuery() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-tags")
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let image = try await ImageBuilder(directory: work.url).image(name: "tagged", layers: [.file(byteCount: 1024)], seed: 800)
        let seeder = RegistrySeeder(registry: registry)
        try await seeder.push(image, repository: "tags/app", tag: "a")
        for tag in ["b", "c", "d", "e"] {
            try await seeder.pushManifest(image.rootBytes, descriptor: image.root, repository: "tags/app", reference: tag)
        }
        try await registry.resetRequestLog()
        let cistern = try CisternInstance(upstream: registry.baseURL)

        for target in ["/v2/tags/app/tags/list", "/v2/tags/app/tags/list?n=2", "/v2/tags/app/tags/list?n=2&last=b", "/v2/missing/app/tags/list"] {
            let direct = try await OffPool.fetch(port: registry.port, target)
            let mirrored = try await OffPool.fetch(port: cistern.port, target)
            #expect(mirrored.statusCode == direct.statusCode, "\(target)")
            #expect(mirrored.header("Content-Type") == direct.header("Content-Type"), "\(target)")
            #expect(mirrored.header("Link") == direct.header("Link"), "\(target)")
            if direct.statusCode == 200 {
                #expect(mirrored.body == direct.body, "\(target)")
                #expect(Set(Self.tags(mirrored.body) ?? []) == ["a", "b", "c", "d", "e"], "\(target)")
            } else {
                #expect(mirrored.statusCode == 404)
                #expect(OCIErrorDocument(mirrored.body)?.codes == ["NAME_UNKNOWN"], "\(mirrored.bodyText)")
            }
        }
        // The client's pagination parameters reached the upstream unchanged.
        let uris = try await registry.requests().map(\.uri)
        #expect(uris.contains("/v2/tags/app/tags/list?n=2"), "\(uris)")
        #expect(uris.contains("/v2/tags/app/tags/list?n=2&last=b"), "\(uris)")
    }

    @Test func tagsListPagesFollowTheUpstreamsLinkThroughCistern() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        for tag in ["e", "a", "d", "b", "c"] {
            upstream.addManifest(repository: "paged/app", tag: tag, bytes: Array("{\"tag\":\"\(tag)\"}".utf8), mediaType: FixtureMediaType.ociManifest)
        }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)

        var pages: [[String]] = []
        var next: String? = "/v2/paged/app/tags/list?n=2"
        while let target = next, pages.count < 10 {
            let direct = try await OffPool.fetch(port: upstream.port, target)
            let mirrored = try await OffPool.fetch(port: cistern.port, target)
            #expect(mirrored.statusCode == 200, "\(target)")
            #expect(mirrored.body == direct.body, "\(target)")
            #expect(mirrored.header("Link") == direct.header("Link"), "\(target)")
            pages.append(Self.tags(mirrored.body) ?? [])
            next = Self.linkTarget(mirrored.header("Link"))
        }
        #expect(pages == [["a", "b"], ["c", "d"], ["e"]])

        let resumed = try await OffPool.fetch(port: cistern.port, "/v2/paged/app/tags/list?last=c")
        #expect(Self.tags(resumed.body) == ["d", "e"])
        #expect(resumed.header("Link") == nil)
    }

    /// How an upstream points at its next page, and whether the client routes with `ns`.
    struct CursorPaging: Sendable, CustomStringConvertible {
        let absoluteLink: Bool
        let namespace: String?
        var description: String { "\(absoluteLink ? "absolute" : "relative") Link, \(namespace.map { "ns=\($0)" } ?? "no ns")" }
    }

    /// Issue 10 item d: the upstream's `Link` (absolute or relative, with an opaque cursor) is
    /// rewritten to Cistern's path for the name the client used, keeping the whole query and
    /// the client's `ns`; the next request forwards that query unchanged (less `ns`). Before,
    /// an absolute Link leaked the upstream's host, and a relative one lost its cursor, so page
    /// one came back forever.
    @Test(arguments: [CursorPaging(absoluteLink: true, namespace: nil), CursorPaging(absoluteLink: false, namespace: "mirror.test")])
    func tagsListPagesWithAnOpaqueCursorAreWalkedThroughCistern(_ paging: CursorPaging) async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let repository = "cursor/app"
        let tags = (1...25).map { String(format: "t%02d", $0) }
        for tag in tags {
            upstream.addManifest(repository: repository, tag: tag, bytes: Array("{\"tag\":\"\(tag)\"}".utf8), mediaType: FixtureMediaType.ociManifest)
        }
        upstream.setTagListPaging(.opaqueCursor(base: paging.absoluteLink ? upstream.baseURL : ""))
        let cistern = try CisternInstance(upstreams: [(paging.namespace ?? "default", upstream.baseURL)])
        let nsParameter = paging.namespace.map { "&ns=\($0)" } ?? ""
        let localPath = "/v2/\(repository)/tags/list"

        var pages: [[String]] = []
        var links: [String] = []
        var next: String? = "\(localPath)?n=10\(nsParameter)"
        while let target = next, pages.count < 10 {
            let response = try await OffPool.fetch(port: cistern.port, target)
            #expect(response.statusCode == 200, "\(target): \(response.bodyText)")
            pages.append(Self.tags(response.body) ?? [])
            let link = response.header("Link")
            links += link.map { [$0] } ?? []
            next = Self.linkTarget(link)
        }
        #expect(pages.map(\.count) == [10, 10, 5])
        #expect(pages.flatMap { $0 } == tags)
        #expect(links.count == 2)
        for link in links {
            #expect(!link.contains("127.0.0.1") && !link.contains("http"), "\(link)")
            #expect(link.hasPrefix("<\(localPath)?n=10&next_page=pg1."), "\(link)")
            #expect(link.hasSuffix("\(nsParameter)>; rel=\"next\""), "\(link)")
        }
        // The upstream saw the cursors it issued, unchanged, and never Cistern's `ns`.
        let queries = upstream.requests.filter { $0.path == localPath }.map { $0.query ?? "" }
        #expect(queries.count == 3)
        #expect(queries.first == "n=10")
        for (query, link) in zip(queries.dropFirst(), links) {
            #expect(link.contains("<\(localPath)?\(query)\(nsParameter)>"), "\(query) vs \(link)")
        }
        #expect(queries.allSatisfy { !$0.contains("ns=") })
    }

    @Test func referrersArePassedThroughWithAndWithoutAnArtifactTypeFilter() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let repository = "signed/app"
        let subject = upstream.addManifest(
            repository: repository, tag: "v1", bytes: Array(#"{"schemaVersion":2,"layers":[]}"#.utf8), mediaType: FixtureMediaType.ociManifest)
        let sbomType = "application/vnd.example.sbom+json"
        let signatureType = "application/vnd.example.signature.v1"
        let sbom = upstream.addReferrer(repository: repository, subject: subject, bytes: Array(#"{"sbom":1}"#.utf8), artifactType: sbomType)
        let signature = upstream.addReferrer(repository: repository, subject: subject, bytes: Array(#"{"sig":1}"#.utf8), artifactType: signatureType)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        let path = "/v2/\(repository)/referrers/\(subject)"

        func referrerDigests(_ response: TestHTTPResponse) -> [String] {
            let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            return (object?["manifests"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
        }

        let all = try await OffPool.fetch(port: cistern.port, path)
        #expect(all.statusCode == 200)
        #expect(all.header("Content-Type") == FixtureMediaType.ociIndex)
        #expect(all.header("OCI-Filters-Applied") == nil)
        #expect(referrerDigests(all) == [sbom, signature])
        #expect(all.body == (try await OffPool.fetch(port: upstream.port, path)).body)

        // The filter value as clients send it: percent-encoded, or with a literal `+`
        // (RFC 3986 query, not form encoding).
        for query in ["artifactType=application%2Fvnd.example.sbom%2Bjson", "artifactType=application/vnd.example.sbom+json"] {
            let filtered = try await OffPool.fetch(port: cistern.port, "\(path)?\(query)")
            #expect(filtered.statusCode == 200, "\(query)")
            #expect(filtered.header("OCI-Filters-Applied") == "artifactType", "\(query)")
            #expect(referrerDigests(filtered) == [sbom], "\(query): \(filtered.bodyText)")
        }
        let forwarded = upstream.requests.filter { $0.path == path }.compactMap(\.query)
        #expect(forwarded.allSatisfy { FakeUpstream.queryItems($0).first { $0.name == "artifactType" }?.value == sbomType }, "\(forwarded)")
        #expect(forwarded.count == 2)

        let unknown = try await OffPool.fetch(port: cistern.port, "\(path)?artifactType=application%2Fvnd.example.none")
        #expect(unknown.statusCode == 200)
        #expect(referrerDigests(unknown).isEmpty)
    }
}
