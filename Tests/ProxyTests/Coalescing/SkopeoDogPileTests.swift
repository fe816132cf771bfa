import Foundation
import Testing

extension CoalescingLoad {
    /// The dog-pile with real clients and a real upstream (issue 3, item 7): 50 skopeo processes
    /// pull one cold image through Cistern at once from Debian's docker-registry. Every copy
    /// verifies, and the registry's own access log shows each blob fetched exactly once.
    ///
    /// 50 skopeo processes on 2 cores are heavy: they are all launched together and each gets a
    /// generous timeout; the layers stay small so the test measures coalescing, not bandwidth.
    @Suite struct SkopeoDogPileTests {
        static let pullCount = 50

        @Test func fiftyConcurrentColdSkopeoPullsVerifyAndFetchEachBlobFromTheRegistryOnce() async throws {
            let work = try TemporaryDirectory()
            let registry = try await RegistryProcess.start()
            let image = try await ImageBuilder(directory: work.url).image(
                name: "dog-pile", layers: [.file(byteCount: 64 * 1024), .file(byteCount: 512 * 1024), .file(byteCount: 1536 * 1024)],
                seed: 801)
            try await RegistrySeeder(registry: registry).push(image, repository: "team/dogpile", tag: "v1")
            try await registry.resetRequestLog()
            let cistern = try CisternInstance(upstream: registry.baseURL)
            defer { cistern.stop() }
            let reference = "\(cistern.hostAndPort)/team/dogpile:v1"

            let skopeo = {
                var skopeo = Skopeo()
                skopeo.timeout = .seconds(150)
                return skopeo
            }()
            let copies = try await withThrowingTaskGroup(of: Skopeo.VerifiedDirectory.self) { group in
                for index in 0..<Self.pullCount {
                    let destination = work.appending("pull-\(index)")
                    group.addTask {
                        try await skopeo.copy(reference, to: destination)
                        return try await Skopeo.verifyDirectory(destination)
                    }
                }
                var verified: [Skopeo.VerifiedDirectory] = []
                for try await copy in group { verified.append(copy) }
                return verified
            }

            let manifest = try #require(image.manifests.first)
            #expect(copies.count == Self.pullCount)
            #expect(copies.allSatisfy { $0.manifestDigest == image.root.digest })
            #expect(copies.allSatisfy { $0.verifiedDigests == [manifest.config.digest] + manifest.layers.map(\.digest) })
            let requests = try await registry.requests()
            for blob in image.blobs {
                let gets = requests.filter { $0.method == "GET" && $0.path.hasSuffix("/blobs/\(blob.digest)") }
                #expect(gets.count == 1, "\(blob.digest) (\(blob.byteCount) bytes) was fetched \(gets.count) times")
            }
            #expect(cistern.committedBlobDigests() == Set(image.blobs.map(\.digest)))
            #expect(cistern.temporaryFiles().isEmpty)
        }
    }
}
