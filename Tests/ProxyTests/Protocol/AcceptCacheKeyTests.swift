import Foundation
import Testing

/// The tag cache is keyed by the whole Accept set (issue 4 item 8.2). A key built from only the
/// first Accept line, or from none, would hand one client's manifest type to another client
/// that never asked for it; these tests run two such clients against one tag in both orders,
/// twice each (the second round from the cache).
@Suite struct AcceptCacheKeyTests {
    /// Round 2 must come from the cache however slowly the test runs (sanitizers, a busy
    /// machine): with the default 60 s TTL a starved run revalidated, and the fake upstream,
    /// which does not negotiate, then answered the schema 2 client with the index.
    private static let tagTTL = Duration.seconds(3600)

    /// One client's Accept lines and the manifest it must get.
    private struct Client {
        let accept: AcceptVariant
        let mediaType: String
        let digest: String
        let bytes: [UInt8]
    }

    @Test func clientsSharingTheFirstAcceptLineButNotTheSetGetTheirOwnTypeFromOneDockerListTag() async throws {
        let seeded = try await SeededRegistry.start()
        let list = seeded.dockerList.image
        let amd64 = try #require(list.manifests.first { $0.platform == .linuxAmd64 })
        // distribution rewrites a manifest list for a client without the list type to the
        // linux/amd64 child; both clients send schema 2 as their first line.
        let schema2Only = Client(accept: .dockerManifest, mediaType: FixtureMediaType.dockerManifest,
                                 digest: amd64.descriptor.digest, bytes: Array(amd64.bytes))
        let listToo = Client(
            accept: AcceptVariant(label: "schema 2, then list", lines: [FixtureMediaType.dockerManifest, FixtureMediaType.dockerManifestList]),
            mediaType: FixtureMediaType.dockerManifestList, digest: list.root.digest, bytes: Array(list.rootBytes))
        let path = "/v2/\(SeededRegistry.repository)/manifests/docker-list"

        for order in [[schema2Only, listToo], [listToo, schema2Only]] {
            let cistern = try CisternInstance(upstream: seeded.registry.baseURL) { $0.tagTTL = Self.tagTTL }
            defer { cistern.stop() }
            try await seeded.registry.resetRequestLog()
            for round in 1...2 {
                for client in order {
                    let response = try await OffPool.fetch(port: cistern.port, path, headers: client.accept.headers)
                    #expect(response.statusCode == 200, "\(client.accept) round \(round)")
                    #expect(response.header("Content-Type") == client.mediaType, "\(client.accept) round \(round)")
                    #expect(response.header("Docker-Content-Digest") == client.digest, "\(client.accept) round \(round)")
                    #expect(response.body == client.bytes, "\(client.accept) round \(round)")
                }
            }
            // One upstream GET per Accept set; the second round came from the cache.
            #expect(try await seeded.registry.requestCount(method: "GET", pathSuffix: path) == 2)
        }
    }

    @Test func aSchema2OnlyClientAndAnOCIIndexOnlyClientGetTheirOwnTypesForOneTagInEitherOrder() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let repository = "multi/app"
        let path = "/v2/\(repository)/manifests/v1"
        let indexBytes = Array(#"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.ociIndex)","manifests":[]}"#.utf8)
        let indexDigest = upstream.addManifest(repository: repository, tag: "v1", bytes: indexBytes, mediaType: FixtureMediaType.ociIndex)
        let schema2Bytes = Array(#"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.dockerManifest)","config":{},"layers":[]}"#.utf8)
        let schema2Digest = TestSHA256.digest(schema2Bytes)
        let schema2Only = Client(accept: .dockerManifest, mediaType: FixtureMediaType.dockerManifest, digest: schema2Digest, bytes: schema2Bytes)
        let indexOnly = Client(accept: .ociIndex, mediaType: FixtureMediaType.ociIndex, digest: indexDigest, bytes: indexBytes)

        for order in [[schema2Only, indexOnly], [indexOnly, schema2Only]] {
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.tagTTL = Self.tagTTL }
            defer { cistern.stop() }
            upstream.clearRecordedRequests()
            for round in 1...2 {
                for client in order {
                    if round == 1 && client.mediaType == FixtureMediaType.dockerManifest {
                        // The fake does not negotiate: it answers the next GET of the tag with
                        // the schema 2 manifest, as a negotiating registry would for this client.
                        upstream.setBehaviour(
                            .status(200, headers: [
                                TestHeaderField("Content-Type", FixtureMediaType.dockerManifest),
                                TestHeaderField("Docker-Content-Digest", schema2Digest),
                            ], body: schema2Bytes),
                            for: .path(path), method: "GET", times: 1)
                    }
                    let response = try await OffPool.fetch(port: cistern.port, path, headers: client.accept.headers)
                    #expect(response.statusCode == 200, "\(client.accept) round \(round)")
                    #expect(response.header("Content-Type") == client.mediaType, "\(client.accept) round \(round)")
                    #expect(response.header("Docker-Content-Digest") == client.digest, "\(client.accept) round \(round)")
                    #expect(response.body == client.bytes, "\(client.accept) round \(round)")
                }
            }
            // Each client's own Accept set went upstream exactly once, unmixed.
            let fetches = upstream.requests.filter { $0.method == "GET" && $0.path == path }
            #expect(fetches.map { $0.headerValues("Accept") } == order.map(\.accept.lines))
        }
    }
}
