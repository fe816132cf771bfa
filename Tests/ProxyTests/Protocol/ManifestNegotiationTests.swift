import Foundation
import Testing

/// Content negotiation through Cistern against the real docker-registry 2.8 (issue 4 item 8.1):
/// whatever the upstream answers a given Accept set, HEAD or GET, by tag or by digest, a client
/// gets the same through Cistern; and containerd's resolve-then-fetch sequence with `?ns=`.
@Suite struct ManifestNegotiationTests {
    @Test func everyAcceptVariantGetsTheUpstreamsOwnAnswerForHeadAndGetByTagAndByDigest() async throws {
        let seeded = try await SeededRegistry.start()
        var successTypes: Set<String> = []
        var statuses: Set<Int> = []
        for variant in AcceptVariant.all {
            // A fresh cache per variant: a manifest cached by digest is served to any later
            // client (it is content-addressed), whereas distribution refuses OCI types missing
            // from the Accept set even by digest. That deliberate difference is not compared here.
            let cistern = try CisternInstance(upstream: seeded.registry.baseURL)
            defer { cistern.stop() }
            for target in seeded.manifestTargets {
                for method in ["HEAD", "GET"] {
                    let direct = ManifestResponseView(try await OffPool.fetch(
                        port: seeded.registry.port, method: method, target, headers: variant.headers))
                    let mirrored = ManifestResponseView(try await OffPool.fetch(
                        port: cistern.port, method: method, target, headers: variant.headers))
                    #expect(mirrored == direct, "\(variant): \(method) \(target)")
                    if let status = direct.statusCode { statuses.insert(status) }
                    if direct.statusCode == 200, let type = direct.contentType { successTypes.insert(type) }
                }
            }
        }
        // The matrix really reached every manifest type and the upstream's refusals
        // (404 for OCI types not accepted, 400 for a schema 2 tag without schema 2).
        #expect(successTypes == [FixtureMediaType.ociIndex, FixtureMediaType.ociManifest,
                                 FixtureMediaType.dockerManifestList, FixtureMediaType.dockerManifest])
        #expect(statuses == [200, 400, 404])
    }

    @Test func containerdHeadsTheTagThenGetsEveryManifestAndBlobByDigestWithNsOnEachRequest() async throws {
        let seeded = try await SeededRegistry.start()
        // Named `127.0.0.1:<port>`, which is what containerd puts in `ns`.
        let cistern = try CisternInstance(upstream: seeded.registry.baseURL)
        let ns = "ns=\(seeded.registry.hostAndPort)"
        let base = "/v2/\(SeededRegistry.repository)"
        let image = seeded.ociIndex.image
        let accept = AcceptVariant.containerd.headers

        let resolved = try await OffPool.fetch(port: cistern.port, method: "HEAD", "\(base)/manifests/oci-index?\(ns)", headers: accept)
        #expect(resolved.statusCode == 200)
        #expect(resolved.header("Content-Type") == FixtureMediaType.ociIndex)
        #expect(resolved.header("Docker-Content-Digest") == image.root.digest)
        #expect(resolved.header("Content-Length") == String(image.root.byteCount))
        #expect(resolved.body.isEmpty && resolved.isComplete)
        let digest = try #require(resolved.header("Docker-Content-Digest"))

        let index = try await OffPool.fetch(port: cistern.port, "\(base)/manifests/\(digest)?\(ns)", headers: accept)
        #expect(index.statusCode == 200)
        #expect(index.body == Array(image.rootBytes))
        for manifest in image.manifests {
            let child = try await OffPool.fetch(
                port: cistern.port, "\(base)/manifests/\(manifest.descriptor.digest)?\(ns)", headers: accept)
            #expect(child.statusCode == 200)
            #expect(child.header("Content-Type") == FixtureMediaType.ociManifest)
            #expect(child.header("Docker-Content-Digest") == manifest.descriptor.digest)
            #expect(child.body == Array(manifest.bytes))
            for blob in [manifest.config] + manifest.layers {
                let fetched = try await OffPool.fetch(port: cistern.port, "\(base)/blobs/\(blob.digest)?\(ns)")
                #expect(fetched.statusCode == 200)
                #expect(fetched.body.count == blob.byteCount)
                #expect(TestSHA256.digest(fetched.body) == blob.digest)
            }
        }

        // `ns` selects the upstream and is never forwarded; the index came with the tag
        // (no second fetch by digest), each child manifest and blob was fetched once.
        let upstream = try await seeded.registry.requests()
        #expect(upstream.allSatisfy { !$0.uri.contains("ns=") }, "\(upstream)")
        #expect(upstream.count { $0.method == "GET" && $0.path == "\(base)/manifests/oci-index" } == 1)
        #expect(upstream.count { $0.path == "\(base)/manifests/\(image.root.digest)" } == 0)
        for manifest in image.manifests {
            #expect(upstream.count { $0.method == "GET" && $0.path == "\(base)/manifests/\(manifest.descriptor.digest)" } == 1)
        }
        for blob in image.blobs {
            #expect(upstream.count { $0.method == "GET" && $0.path == "\(base)/blobs/\(blob.digest)" } == 1)
        }
    }
}
