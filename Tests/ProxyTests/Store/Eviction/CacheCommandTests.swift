import Foundation
import Testing
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyStore

/// `cistern cache stats|verify|gc` as operators run them: the executable on a cache filled
/// through Cistern from the real registry.
@Suite(.serialized) struct CacheCommandTests {
    static func cistern(_ arguments: [String]) async throws -> ChildProcess.Termination {
        let child = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: arguments)
        return try await child.waitUntilExit(timeout: .seconds(60))
    }

    /// A cache holding one two-layer image, and the image.
    static func filledCache(_ work: TemporaryDirectory, registry: RegistryProcess) async throws -> (TemporaryDirectory, BuiltImage) {
        let image = try await ImageBuilder(directory: work.url).image(
            name: "tools", layers: [.file(byteCount: 300_000), .file(byteCount: 200_000)], seed: 61)
        try await RegistrySeeder(registry: registry).push(image, repository: "tools/app", tag: "v1")
        let cache = try TemporaryDirectory(prefix: "cistern-tools")
        let cistern = try CisternInstance(upstream: registry.baseURL, cacheDirectory: cache.url)
        try await Skopeo().copy("\(cistern.hostAndPort)/tools/app:v1", to: work.appending("pulled"))
        cistern.stop()
        return (cache, image)
    }

    @Test func verifyNamesADamagedBlobAndExitsNonZero() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let (cache, image) = try await Self.filledCache(work, registry: registry)
        let clean = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: ["cache", "verify", "--cache-dir", cache.url.path])
        #expect(try await clean.waitUntilExit(timeout: .seconds(60)).succeeded)
        #expect(String(decoding: clean.standardOutput(), as: UTF8.self).contains("all content verified"))

        // One byte in the middle of a layer flipped, its size unchanged.
        let layer = image.layers[0]
        let path = cache.url.appendingPathComponent("blobs/sha256/\(layer.hex.prefix(2))/\(layer.hex)")
        let handle = try FileHandle(forUpdating: path)
        try handle.seek(toOffset: 1000)
        let original = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: 1000)
        handle.write(Data([original ^ 0xFF]))
        try handle.close()

        let child = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: ["cache", "verify", "--cache-dir", cache.url.path])
        let termination = try await child.waitUntilExit(timeout: .seconds(60))
        let output = String(decoding: child.standardOutput(), as: UTF8.self)
        #expect(!termination.succeeded)
        #expect(output.contains("damaged: \(layer.digest)"))
        #expect(!output.contains("damaged: \(image.layers[1].digest)"))
        #expect(output.components(separatedBy: "damaged: ").count == 2, "exactly one damaged digest: \(output)")
    }

    @Test func verifyAndGCRefuseACacheALiveProcessHoldsAndStatsReadsIt() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let (cache, image) = try await Self.filledCache(work, registry: registry)
        let server = try CisternProcess(upstream: registry.baseURL.absoluteString, cache: cache.url)
        for tool in ["verify", "gc"] {
            let child = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: ["cache", tool, "--cache-dir", cache.url.path])
            let termination = try await child.waitUntilExit(timeout: .seconds(60))
            let standardError = String(decoding: child.standardError(), as: UTF8.self)
            #expect(!termination.succeeded)
            #expect(standardError.contains("in use by process \(server.child.processID)"), "\(tool): \(standardError)")
        }
        let stats = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: ["cache", "stats", "--cache-dir", cache.url.path])
        #expect(try await stats.waitUntilExit(timeout: .seconds(60)).succeeded)
        let output = String(decoding: stats.standardOutput(), as: UTF8.self)
        #expect(output.contains("entries: \(image.blobs.count + 1) (\(image.blobs.count) blobs, 1 manifests)"), "\(output)")
        #expect(output.contains("tools/app"))
        server.stop()
    }

    @Test func gcAppliesTheSizeLimitToAStoppedCache() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let (cache, image) = try await Self.filledCache(work, registry: registry)
        let before = try await CacheDiskUsage.bytes(cache.url)
        let limit: Int64 = 300_000
        let gc = try ChildProcess(executablePath: CisternProcess.executablePath,
                                  arguments: ["cache", "gc", "--cache-dir", cache.url.path, "--cache-max-size", "\(limit)"])
        #expect(try await gc.waitUntilExit(timeout: .seconds(60)).succeeded)
        let after = try await CacheDiskUsage.bytes(cache.url)
        #expect(before > limit)
        #expect(after <= limit + limit / 100, "du -sb: \(before) before gc, \(after) after")
        // The index it left is clean: the next start takes it as it is.
        let opened = CacheIndex.open(CacheLayout(root: cache.url.path), claim: false)
        #expect(opened.origin == .loaded)
        #expect(opened.index.entry(try Digest(parsing: image.layers[0].digest)) == nil)

        // A server on the trimmed cache serves the image again, verified.
        let cistern = try CisternInstance(upstream: registry.baseURL, cacheDirectory: cache.url)
        try await Skopeo().copy("\(cistern.hostAndPort)/tools/app:v1", to: work.appending("again"))
        #expect(try await Skopeo.verifyDirectory(work.appending("again")).manifestDigest == image.root.digest)
    }
}
