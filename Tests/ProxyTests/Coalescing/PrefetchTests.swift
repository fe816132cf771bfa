import Foundation
import Testing

/// Layer prefetch (`configuration.prefetch`, issue 3): once a manifest comes from the
/// upstream, its config and layers are filled without any client asking, and the blob GETs
/// that follow are hits (or join the prefetch fill) with no second upstream GET.
@Suite struct PrefetchTests {
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let accept = [("Accept", "\(ociManifest), \(ociIndex)")]

    /// An image manifest for `config` and `layers` (OCI image-spec manifest.md).
    static func manifestJSON(config: (digest: String, size: Int), layers: [(digest: String, size: Int)]) -> [UInt8] {
        let layerEntries = layers.map {
            #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#($0.digest)","size":\#($0.size)}"#
        }
        return Array(#"""
            {"schemaVersion":2,"mediaType":"\#(ociManifest)",\#
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config.digest)","size":\#(config.size)},\#
            "layers":[\#(layerEntries.joined(separator: ","))]}
            """#.utf8)
    }

    /// An image index entry for a linux manifest (OCI image-spec image-index.md).
    static func indexEntry(digest: String, size: Int, architecture: String) -> String {
        let platform = #"{"architecture":"\#(architecture)","os":"linux"}"#
        return #"{"mediaType":"\#(ociManifest)","digest":"\#(digest)","size":\#(size),"platform":\#(platform)}"#
    }

    /// Adds a config and `layerByteCounts.count` layers as blobs; returns (digest, size) pairs,
    /// config first.
    static func addImageBlobs(to upstream: FakeUpstream, layerByteCounts: [Int], seed: UInt64) -> [(digest: String, size: Int)] {
        let config = Array(#"{"architecture":"amd64","os":"linux","seed":\#(seed)}"#.utf8)
        var blobs = [(upstream.addBlob(config), config.count)]
        for (index, byteCount) in layerByteCounts.enumerated() {
            let layer = PseudoRandomBytes.make(byteCount: byteCount, seed: seed &+ UInt64(index) &+ 1)
            blobs.append((upstream.addBlob(layer), byteCount))
        }
        return blobs
    }

    /// Polls the cache directory until it holds `digests` (at most 15 s).
    static func waitUntilCommitted(_ digests: Set<String>, in cistern: CisternInstance) {
        let deadline = ContinuousClock.now + .seconds(15)
        while !digests.isSubset(of: cistern.committedBlobDigests()), ContinuousClock.now < deadline {
            TestTime.sleep(.milliseconds(20))
        }
    }

    @Test func aManifestByTagPrefetchesItsConfigAndLayersAndTheirGetsAreHits() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blobs = Self.addImageBlobs(to: upstream, layerByteCounts: [100_000, 700_000], seed: 901)
        let manifest = Self.manifestJSON(config: blobs[0], layers: Array(blobs[1...]))
        upstream.addManifest(repository: "team/app", tag: "v1", bytes: manifest, mediaType: Self.ociManifest)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.prefetch = true }
        defer { cistern.stop() }

        let response = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/manifests/v1", headers: Self.accept)
        #expect(response.statusCode == 200)
        #expect(response.body == manifest)

        let expected = Set(blobs.map(\.digest))
        Self.waitUntilCommitted(expected, in: cistern)
        #expect(cistern.committedBlobDigests() == expected)
        #expect(cistern.temporaryFiles().isEmpty)
        for blob in blobs {
            #expect(upstream.requestCount(method: "GET", path: "/v2/team/app/blobs/\(blob.digest)") == 1)
        }

        upstream.clearRecordedRequests()
        for blob in blobs {
            let hit = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(blob.digest)")
            #expect(hit.statusCode == 200 && hit.isComplete)
            #expect(hit.body.count == blob.size && ContentDigest.of(hit.body) == blob.digest)
            #expect(hit.header("Docker-Content-Digest") == blob.digest)
        }
        #expect(upstream.requests.isEmpty, "blob GETs after prefetch went upstream: \(upstream.requests.map(\.target))")
    }

    @Test func anIndexByTagPrefetchesOnlyTheConfiguredPlatformsManifestAndBlobs() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let amd64 = Self.addImageBlobs(to: upstream, layerByteCounts: [200_000], seed: 911)
        let arm64 = Self.addImageBlobs(to: upstream, layerByteCounts: [200_000], seed: 921)
        let amd64Manifest = Self.manifestJSON(config: amd64[0], layers: Array(amd64[1...]))
        let arm64Manifest = Self.manifestJSON(config: arm64[0], layers: Array(arm64[1...]))
        let amd64Digest = upstream.addManifest(repository: "team/multi", tag: nil, bytes: amd64Manifest, mediaType: Self.ociManifest)
        let arm64Digest = upstream.addManifest(repository: "team/multi", tag: nil, bytes: arm64Manifest, mediaType: Self.ociManifest)
        let entries = [
            Self.indexEntry(digest: arm64Digest, size: arm64Manifest.count, architecture: "arm64"),
            Self.indexEntry(digest: amd64Digest, size: amd64Manifest.count, architecture: "amd64"),
        ]
        let index = Array(#"{"schemaVersion":2,"mediaType":"\#(Self.ociIndex)","manifests":[\#(entries.joined(separator: ","))]}"#.utf8)
        upstream.addManifest(repository: "team/multi", tag: "v2", bytes: index, mediaType: Self.ociIndex)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) {
            $0.prefetch = true
            $0.prefetchPlatform = "linux/amd64"
        }
        defer { cistern.stop() }

        let response = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/multi/manifests/v2", headers: Self.accept)
        #expect(response.statusCode == 200)
        #expect(response.body == index)

        let expected = Set(amd64.map(\.digest))
        Self.waitUntilCommitted(expected, in: cistern)
        #expect(cistern.committedBlobDigests() == expected)
        #expect(upstream.requestCount(method: "GET", path: "/v2/team/multi/manifests/\(amd64Digest)") == 1)
        #expect(upstream.requestCount(path: "/v2/team/multi/manifests/\(arm64Digest)") == 0)
        for blob in arm64 {
            #expect(upstream.requestCount(path: "/v2/team/multi/blobs/\(blob.digest)") == 0)
        }

        upstream.clearRecordedRequests()
        let child = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/multi/manifests/\(amd64Digest)", headers: Self.accept)
        #expect(child.statusCode == 200 && child.body == amd64Manifest)
        for blob in amd64 {
            let hit = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/multi/blobs/\(blob.digest)")
            #expect(hit.statusCode == 200 && ContentDigest.of(hit.body) == blob.digest)
        }
        #expect(upstream.requests.isEmpty, "requests after prefetch went upstream: \(upstream.requests.map(\.target))")
    }
}
