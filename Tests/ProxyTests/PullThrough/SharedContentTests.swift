import Foundation
import Testing

/// Content shared between repositories and upstream names (issue 10 item 1): images share
/// base layers, and one registry may be configured under two names. Content is stored once;
/// a second repository or name gets it from the cache as soon as the upstream (or a manifest
/// it answered) says that repository holds it.
@Suite struct SharedContentTests {
    /// 1a: an OCI index (and its OCI child manifest) cached through one upstream name is
    /// served by digest through another name for the same registry. The confirming HEAD must
    /// carry an Accept naming the stored type: distribution answers 404 to a HEAD for an OCI
    /// manifest without one.
    @Test func anOCIIndexCachedUnderOneUpstreamNameIsServedByDigestUnderAnother() async throws {
        let seeded = try await SeededRegistry.start()
        defer { seeded.registry.stop() }
        let url = seeded.registry.baseURL.absoluteString
        let cistern = try CisternInstance(upstreams: [("mirror-a", url), ("docker.io", url)])
        defer { cistern.stop() }
        let image = seeded.ociIndex.image
        let base = "/v2/\(SeededRegistry.repository)/manifests"
        let accept = AcceptVariant.containerd.headers

        let byTag = try await OffPool.fetch(port: cistern.port, "\(base)/\(seeded.ociIndex.tag)?ns=mirror-a", headers: accept)
        #expect(byTag.statusCode == 200)
        #expect(byTag.header("Docker-Content-Digest") == image.root.digest)
        let child = try #require(image.manifests.first)
        let childThroughA = try await OffPool.fetch(port: cistern.port, "\(base)/\(child.descriptor.digest)?ns=mirror-a", headers: accept)
        #expect(childThroughA.statusCode == 200)
        try await seeded.registry.resetRequestLog()

        for (digest, bytes, mediaType) in [(image.root.digest, image.rootBytes, image.root.mediaType),
                                           (child.descriptor.digest, child.bytes, child.descriptor.mediaType)] {
            for method in ["HEAD", "GET"] {
                let response = try await OffPool.fetch(port: cistern.port, method: method, "\(base)/\(digest)?ns=docker.io", headers: accept)
                #expect(response.statusCode == 200, "\(method) \(digest): \(response.bodyText)")
                #expect(response.header("Docker-Content-Digest") == digest)
                #expect(response.header("Content-Type") == mediaType)
                #expect(response.body == (method == "GET" ? Array(bytes) : []))
            }
        }
        // The index confirmed with one HEAD, its child linked by the index: nothing fetched again.
        #expect(try await seeded.registry.requestCount(method: "GET", pathContaining: "/manifests/") == 0)
        #expect(try await seeded.registry.requestCount(method: "HEAD", pathContaining: "/manifests/") == 1)
    }

    /// 1b: a manifest cached for a repository links everything it references there, so a
    /// layer already on disk is a hit for that repository without asking the upstream, and
    /// stays one while the upstream is down.
    @Test func aLayerSharedWithAnotherRepositoryIsAHitThereOnceItsManifestWasPulled() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-shared")
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        defer { registry.stop() }
        let image = try await ImageBuilder(directory: work.url).image(name: "shared", layers: [.file(byteCount: 3000), .file(byteCount: 5000)], seed: 910)
        let seeder = RegistrySeeder(registry: registry)
        try await seeder.push(image, repository: "team/a", tag: "v1")
        try await seeder.push(image, repository: "team/b", tag: "v1")
        let cistern = try CisternInstance(upstream: registry.baseURL)
        defer { cistern.stop() }
        let manifest = try #require(image.manifests.first)
        let shared = try #require(manifest.layers.last)

        // All of a; then b's manifest and every blob of b but the shared layer.
        let accept = AcceptVariant.containerd.headers
        for target in ["/v2/team/a/manifests/v1"] + image.blobs.map({ "/v2/team/a/blobs/\($0.digest)" }) {
            #expect(try await OffPool.fetch(port: cistern.port, target, headers: accept).statusCode == 200, "\(target)")
        }
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/team/b/manifests/v1", headers: accept).statusCode == 200)
        for blob in image.blobs where blob.digest != shared.digest {
            #expect(try await OffPool.fetch(port: cistern.port, "/v2/team/b/blobs/\(blob.digest)").statusCode == 200)
        }
        try await registry.resetRequestLog()
        let hit = try await OffPool.fetch(port: cistern.port, "/v2/team/b/blobs/\(shared.digest)")
        #expect(hit.statusCode == 200)
        #expect(TestSHA256.digest(hit.body) == shared.digest)
        #expect(try await registry.requests().isEmpty, "a linked layer needs no upstream request")

        registry.stop()
        for method in ["GET", "HEAD"] {
            let whileDown = try await OffPool.fetch(port: cistern.port, method: method, "/v2/team/b/blobs/\(shared.digest)")
            #expect(whileDown.statusCode == 200, "\(method) while the upstream is down: \(whileDown.bodyText)")
            #expect(whileDown.header("Content-Length") == String(shared.byteCount))
        }
    }

    /// 1c: an upstream whose blob HEAD says 404 (or omits Content-Length) where GET works:
    /// Cistern confirms with a one-byte ranged GET before it answers.
    @Test func aBlobHeadThatTheUpstreamAnswers404IsConfirmedWithARangedGet() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = Array(repeating: UInt8(ascii: "L"), count: 7000)
        let digest = upstream.addBlob(blob)
        let notFound = upstream.setBehaviour(.status(404, body: FakeUpstream.errorBody(code: "BLOB_UNKNOWN", message: "blob unknown")),
                                             for: .route(.blob), method: "HEAD")
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        // HEAD of an uncached blob: the size comes from the 206's Content-Range; no body fetched.
        let head = try TestHTTPClient.fetch(port: cistern.port, method: "HEAD", "/v2/team/r/blobs/\(digest)")
        #expect(head.statusCode == 200)
        #expect(head.header("Content-Length") == "7000")
        #expect(head.header("Docker-Content-Digest") == digest)
        let ranged = upstream.requests.filter { $0.method == "GET" }
        #expect(ranged.map { $0.header("Range") } == ["bytes=0-0"])
        #expect(cistern.committedBlobDigests().isEmpty)

        // Cached through repository a, asked through b: confirmed the same way, served from the cache.
        #expect(try TestHTTPClient.fetch(port: cistern.port, "/v2/team/a/blobs/\(digest)").body == blob)
        upstream.clearRecordedRequests()
        let other = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/b/blobs/\(digest)")
        #expect(other.statusCode == 200)
        #expect(other.body == blob)
        #expect(upstream.requests.filter { $0.method == "GET" }.map { $0.header("Range") } == ["bytes=0-0"])

        // A HEAD answered without Content-Length is confirmed too, rather than failing with 502.
        upstream.removeBehaviour(notFound)
        upstream.setBehaviour(.chunked(), for: .route(.blob), method: "HEAD")
        let unsized = try TestHTTPClient.fetch(port: cistern.port, method: "HEAD", "/v2/team/c/blobs/\(digest)")
        #expect(unsized.statusCode == 200)
        #expect(unsized.header("Content-Length") == "7000")
    }

    /// The empty blob has no byte 0: a ranged GET gets 416 `bytes */0`, which confirms it.
    @Test func theEmptyBlobIsConfirmedByA416() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob([])
        upstream.setBehaviour(.status(404), for: .route(.blob), method: "HEAD")
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let head = try TestHTTPClient.fetch(port: cistern.port, method: "HEAD", "/v2/team/r/blobs/\(digest)")
        #expect(head.statusCode == 200)
        #expect(head.header("Content-Length") == "0")
    }
}
