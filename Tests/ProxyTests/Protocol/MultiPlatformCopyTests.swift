import Foundation
import Testing

/// `skopeo copy --all` through Cistern (issue 4 item 8.3): every platform of a multi-platform
/// image arrives intact, checked file by file against the digests and sizes the index and
/// child manifests name; each manifest and blob was fetched from the upstream once.
@Suite struct MultiPlatformCopyTests {
    @Test func skopeoCopyAllOfAnOCIIndexAndADockerListThroughCisternVerifiesEveryChildAndBlob() async throws {
        let seeded = try await SeededRegistry.start()
        let cistern = try CisternInstance(upstream: seeded.registry.baseURL)
        let base = "/v2/\(SeededRegistry.repository)"

        for tagged in [seeded.ociIndex, seeded.dockerList] {
            let image = tagged.image
            let destination = seeded.work.appending("copy-\(tagged.tag)")
            try await Skopeo().copy("\(cistern.hostAndPort)/\(SeededRegistry.repository):\(tagged.tag)", to: destination, all: true)
            let verified = try await Skopeo.verifyDirectory(destination)
            #expect(verified.manifestDigest == image.root.digest)
            #expect(verified.manifestMediaType == image.root.mediaType)
            let expected = image.manifests.flatMap { [$0.descriptor.digest, $0.config.digest] + $0.layers.map(\.digest) }
            #expect(verified.verifiedDigests == expected)
            #expect(expected.count == 6, "two platforms, each a manifest, a config and a layer")
        }

        let upstream = try await seeded.registry.requests()
        for tagged in [seeded.ociIndex, seeded.dockerList] {
            for manifest in tagged.image.manifests {
                #expect(upstream.count { $0.method == "GET" && $0.path == "\(base)/manifests/\(manifest.descriptor.digest)" } == 1)
            }
            for blob in tagged.image.blobs {
                #expect(upstream.count { $0.method == "GET" && $0.path == "\(base)/blobs/\(blob.digest)" } == 1)
            }
        }
        #expect(cistern.committedBlobDigests() == Set((seeded.ociIndex.image.blobs + seeded.dockerList.image.blobs).map(\.digest)))
        #expect(cistern.temporaryFiles().isEmpty)
    }
}
