import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Pull-through against the REAL upstream (Debian's docker-registry) with a
/// real client (skopeo): the image arrives intact, every blob is fetched from
/// the upstream once, and the second pull is served from Cistern's cache.
/// skopeo only ever talks to Cistern, so nothing here can silently come from
/// the upstream directly.
@Suite(.serialized) struct PullThroughRegistryTests {
    private let layerByteCounts = [200 * 1024, 1024 * 1024, 3 * 1024 * 1024]

    @Test func skopeoPullsAMultiLayerImageThroughCisternAndTheSecondPullIsServedFromTheCache() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(
            name: "three-layers", layers: layerByteCounts.map { .file(byteCount: $0) }, seed: 11)
        try await RegistrySeeder(registry: registry).push(image, repository: "library/demo", tag: "v1")
        try await registry.resetRequestLog()
        let cistern = try CisternInstance(upstream: registry.baseURL)

        // First pull: misses, each blob fetched once.
        let first = work.appending("first")
        try await Skopeo().copy("\(cistern.hostAndPort)/library/demo:v1", to: first)
        let verified = try await Skopeo.verifyDirectory(first)
        let manifest = try #require(image.manifests.first)
        #expect(verified.manifestDigest == image.root.digest)
        #expect(verified.verifiedDigests == [manifest.config.digest] + manifest.layers.map(\.digest))
        for blob in image.blobs {
            #expect(try await registry.requestCount(method: "GET", pathSuffix: "/blobs/\(blob.digest)") == 1)
        }
        #expect(try await registry.requestCount(method: "GET", pathSuffix: "/manifests/v1") == 1)
        #expect(cistern.committedBlobDigests() == Set(image.blobs.map(\.digest)))
        #expect(cistern.temporaryFiles().isEmpty)

        // Second pull: no blob GET, no manifest GET at all (the tag is fresh).
        try await registry.resetRequestLog()
        let second = work.appending("second")
        try await Skopeo().copy("\(cistern.hostAndPort)/library/demo:v1", to: second)
        let again = try await Skopeo.verifyDirectory(second)
        #expect(again.manifestDigest == image.root.digest)
        #expect(again.verifiedDigests == verified.verifiedDigests)
        let upstreamRequests = try await registry.requests()
        #expect(upstreamRequests.filter { $0.path.contains("/blobs/") }.isEmpty)
        #expect(upstreamRequests.filter { $0.path.contains("/manifests/") }.isEmpty)
    }

    @Test func aRestartedCisternServesCachedDigestsAndTagsWithTheUpstreamDown() async throws {
        let work = try TemporaryDirectory()
        let cache = try TemporaryDirectory(prefix: "cistern-restart")
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(
            name: "two-layers", layers: [.file(byteCount: 300_000), .file(byteCount: 50_000)], seed: 12)
        try await RegistrySeeder(registry: registry).push(image, repository: "team/app", tag: "stable")

        do {
            let cistern = try CisternInstance(upstream: registry.baseURL, cacheDirectory: cache.url)
            try await Skopeo().copy("\(cistern.hostAndPort)/team/app:stable", to: work.appending("warm"))
            cistern.stop()
        }
        registry.stop()

        // A new process on the same cache, the upstream unreachable, the tag
        // past its freshness: the tag is served stale, the blobs by digest.
        let cistern = try CisternInstance(upstream: registry.baseURL, cacheDirectory: cache.url) { $0.tagTTL = .zero }
        let pulled = work.appending("offline")
        try await Skopeo().copy("\(cistern.hostAndPort)/team/app:stable", to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == image.root.digest)
        #expect(Set(verified.verifiedDigests) == Set(image.blobs.map(\.digest)))

        // An uncached tag gets an OCI error naming the unreachable upstream, not a 404.
        let (body, response) = try await LoopbackHTTP.send(URLRequest(url: cistern.baseURL.appendingPathComponent("v2/team/app/manifests/other")))
        #expect(response.statusCode == 503)
        #expect(String(decoding: body, as: UTF8.self).contains("UPSTREAM_UNAVAILABLE"))
    }
}
