import Foundation
import Glibc
import Testing

@testable import ProxyConfig

/// `cistern storage gc` as an operator runs it (issue 16 item 8): on a stopped storage it
/// removes exactly the blobs and manifests no remaining manifest uses, with their repository
/// links, and the images left still pull verified; it refuses a storage a live server holds.
@Suite(.serialized) struct StorageGCTests {
    private static func start(_ registry: RegistryProcess, cacheDirectory: URL, storageDirectory: URL? = nil) throws -> CisternInstance {
        let name = registry.hostAndPort
        return try CisternInstance(upstreams: [(name, registry.baseURL.absoluteString)], cacheDirectory: cacheDirectory) {
            $0.storageRegistry = "local"
            $0.storageDirectory = storageDirectory?.path
            $0.routes = [
                RouteConfiguration(match: "mycorp/*", registry: "local", pull: .anyone, push: .anyone),
                RouteConfiguration(match: "*", registry: name),
            ]
        }
    }

    private static func gc(_ arguments: [String]) async throws -> (ChildProcess.Termination, String, String) {
        let child = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: ["storage", "gc"] + arguments)
        let termination = try await child.waitUntilExit(timeout: .seconds(60))
        return (termination, String(decoding: child.standardOutput(), as: UTF8.self), String(decoding: child.standardError(), as: UTF8.self))
    }

    private static func exists(_ root: URL, _ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent(relative).path)
    }

    private static func blobPath(_ digest: String) -> String {
        let hex = digest.dropFirst("sha256:".count)
        return "blobs/sha256/\(hex.prefix(2))/\(hex)"
    }

    @Test func gcRemovesOnlyWhatNoRemainingManifestUsesAndTheOtherImageStillPulls() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-storage-gc")
        let cache = try TemporaryDirectory(prefix: "cistern-storage-gc-cache")
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        var cistern: CisternInstance? = try Self.start(registry, cacheDirectory: cache.url)
        let hostAndPort = try #require(cistern).hostAndPort
        let port = try #require(cistern).port
        // Same seed, same first layer: the two images share it; configs and second layers differ.
        let builder = ImageBuilder(directory: work.url)
        let old = try await builder.image(name: "old", layers: [.file(byteCount: 200_000), .file(byteCount: 4096, path: "old.bin")], seed: 1701)
        let kept = try await builder.image(name: "kept", layers: [.file(byteCount: 200_000), .file(byteCount: 8192, path: "kept.bin")], seed: 1701)
        #expect(old.layers[0].digest == kept.layers[0].digest)
        try await Skopeo.push(old, to: "\(hostAndPort)/mycorp/old:1")
        try await Skopeo.push(kept, to: "\(hostAndPort)/mycorp/kept:1")

        // While the server runs, gc refuses and names it.
        let (refused, _, refusal) = try await Self.gc(["--cache-dir", cache.url.path])
        #expect(!refused.succeeded)
        #expect(refusal.contains("in use by process \(getpid())"), "\(refusal)")

        let deleted = try await OffPool.fetch(port: port, method: "DELETE", "/v2/mycorp/old/manifests/\(old.root.digest)")
        #expect(deleted.statusCode == 202)
        cistern?.stop()
        cistern = nil

        let (termination, output, _) = try await Self.gc(["--cache-dir", cache.url.path])
        #expect(termination.succeeded, "\(output)")
        let storage = cache.url.appendingPathComponent("storage")
        let unshared = [old.manifests[0].config.digest, old.layers[1].digest]
        for digest in unshared {
            #expect(!Self.exists(storage, Self.blobPath(digest)), "\(digest) collected")
            #expect(output.contains("removed: \(digest)"))
            #expect(!Self.exists(storage, "repositories/mycorp/old/_blobs/sha256/\(digest.dropFirst(7))"))
        }
        let oldManifestHex = old.root.digest.dropFirst(7)
        #expect(!Self.exists(storage, "manifests/sha256/\(oldManifestHex.prefix(2))/\(oldManifestHex)"))
        for digest in kept.blobs.map(\.digest) {
            #expect(Self.exists(storage, Self.blobPath(digest)), "\(digest) kept")
            #expect(!output.contains("removed: \(digest)"))
        }
        // The shared layer stays linked where it was pushed, too.
        #expect(Self.exists(storage, "repositories/mycorp/old/_blobs/sha256/\(old.layers[0].digest.dropFirst(7))"))
        #expect(output.contains("blobs: 3 kept, 2 removed"), "\(output)")
        #expect(output.contains("manifests: 1 kept, 1 removed"), "\(output)")

        let restarted = try Self.start(registry, cacheDirectory: cache.url)
        let pulled = work.url.appendingPathComponent("pulled")
        try await Skopeo().copy("\(restarted.hostAndPort)/mycorp/kept:1", to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == kept.root.digest)
        #expect(Set(verified.verifiedDigests) == Set(kept.blobs.map(\.digest)))
        let gone = try await OffPool.fetch(port: restarted.port, "/v2/mycorp/old/blobs/\(old.layers[1].digest)")
        #expect(gone.statusCode == 404)
        #expect(try await registry.requests().isEmpty)
    }

    /// A storage outside the cache directory is locked by the server too.
    @Test func gcRefusesAStorageDirectoryALiveServerHolds() async throws {
        let cache = try TemporaryDirectory(prefix: "cistern-storage-gc-cache")
        let storage = try TemporaryDirectory(prefix: "cistern-storage-gc-own")
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try Self.start(registry, cacheDirectory: cache.url, storageDirectory: storage.url)
        let (refused, _, refusal) = try await Self.gc(["--storage-dir", storage.url.path])
        #expect(!refused.succeeded)
        #expect(refusal.contains("storage directory \(storage.url.path) is in use by process \(getpid())"), "\(refusal)")
        cistern.stop()
        let (termination, output, _) = try await Self.gc(["--storage-dir", storage.url.path])
        #expect(termination.succeeded)
        #expect(output.contains("blobs: 0 kept, 0 removed"), "\(output)")
    }
}
