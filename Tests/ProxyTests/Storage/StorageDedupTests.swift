import Foundation
import Glibc
import Testing

@testable import ProxyConfig

/// One copy of a digest that is both pushed and pulled through (issue 16 item 9): a pushed
/// blob the cache already holds becomes a hard link to the cache's file, and a pull through
/// a remote route of a blob the storage holds is served from the storage once the upstream
/// confirmed the repository has it (its manifest names it, or a HEAD), with no body fetched
/// and no cache copy written.
@Suite(.serialized) struct StorageDedupTests {
    private static func start(_ registry: RegistryProcess) throws -> CisternInstance {
        let name = registry.hostAndPort
        return try CisternInstance(upstreams: [(name, registry.baseURL.absoluteString)]) {
            $0.storageRegistry = "local"
            $0.routes = [
                RouteConfiguration(match: "mycorp/*", registry: "local", pull: .anyone, push: .anyone),
                RouteConfiguration(match: "*", registry: name),
            ]
        }
    }

    private static func status(_ root: URL, _ digest: String) -> stat? {
        let hex = digest.dropFirst("sha256:".count)
        var status = stat()
        guard lstat(root.appendingPathComponent("blobs/sha256/\(hex.prefix(2))/\(hex)").path, &status) == 0 else { return nil }
        return status
    }

    @Test func aPushedBlobTheCacheHoldsIsOneFileForBoth() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-dedup-push")
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(name: "base", layers: [.file(byteCount: 250_000)], seed: 1901)
        try await RegistrySeeder(registry: registry).push(image, repository: "team/base", tag: "v1")
        let cistern = try Self.start(registry)
        try await Skopeo().copy("\(cistern.hostAndPort)/team/base:v1", to: work.appending("pulled"))
        #expect(cistern.committedBlobDigests().contains(image.layers[0].digest))

        try await Skopeo.push(image, to: "\(cistern.hostAndPort)/mycorp/base:1")
        let storage = cistern.cacheDirectory.appendingPathComponent("storage")
        for blob in image.blobs {
            let cached = try #require(Self.status(cistern.cacheDirectory, blob.digest))
            let pushed = try #require(Self.status(storage, blob.digest))
            #expect(cached.st_ino == pushed.st_ino, "\(blob.digest): one file")
            #expect(pushed.st_nlink == 2)
        }
        let again = work.url.appendingPathComponent("again")
        try await Skopeo().copy("\(cistern.hostAndPort)/mycorp/base:1", to: again)
        #expect(try await Skopeo.verifyDirectory(again).manifestDigest == image.root.digest)
    }

    @Test func aPullOfABlobTheStorageHoldsIsServedFromItWithoutACacheCopy() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-dedup-pull")
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(name: "app", layers: [.file(byteCount: 400_000)], seed: 1911)
        try await RegistrySeeder(registry: registry).push(image, repository: "team/app", tag: "v1")
        let cistern = try Self.start(registry)
        try await Skopeo.push(image, to: "\(cistern.hostAndPort)/mycorp/app:1")
        try await registry.resetRequestLog()

        let pulled = work.url.appendingPathComponent("pulled")
        try await Skopeo().copy("\(cistern.hostAndPort)/team/app:v1", to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == image.root.digest)
        #expect(Set(verified.verifiedDigests) == Set(image.blobs.map(\.digest)))
        let layer = image.layers[0].digest
        let requests = try await registry.requests()
        // The upstream's manifest named the layer for team/app (the cache links it), so not
        // even a HEAD is needed: the manifest requests are all the upstream sees.
        #expect(requests.map(\.path) == ["/v2/team/app/manifests/v1", "/v2/team/app/manifests/v1"], "\(requests)")
        #expect(!cistern.committedBlobDigests().contains(layer))
    }
}
