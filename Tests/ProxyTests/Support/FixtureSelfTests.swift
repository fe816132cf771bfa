import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Testing

/// End-to-end proof of the fixtures with no Cistern in between: the real docker-registry
/// serves images the seeder pushed, and skopeo pulls them straight from it.
/// docker-registry, skopeo and openssl must be installed (scripts/test installs them); when
/// one is missing these tests fail with `ChildProcess.Failure.executableMissing`, never skip.
@Suite struct FixtureSelfTests {
    private let layerByteCounts = [200 * 1024, 1024 * 1024, 3 * 1024 * 1024]

    @Test func skopeoCopiesSeededImageAndRegistryLogsEachBlobGETOnce() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(
            name: "three-layers", layers: layerByteCounts.map { .file(byteCount: $0) }, seed: 1)
        try await RegistrySeeder(registry: registry).push(image, repository: "library/demo", tag: "v1")

        let destination = work.appending("pulled")
        try await Skopeo().copy("\(registry.hostAndPort)/library/demo:v1", to: destination)
        let verified = try await Skopeo.verifyDirectory(destination)

        let manifest = try #require(image.manifests.first)
        #expect(verified.manifestDigest == image.root.digest)  // manifest bytes arrived unchanged
        #expect(verified.verifiedDigests == [manifest.config.digest] + manifest.layers.map(\.digest))
        #expect(manifest.layers.map(\.byteCount).elementsEqual(layerByteCounts) { $0 > $1 && $0 < $1 + 4096 })
        for blob in image.blobs {
            #expect(try await registry.requestCount(method: "GET", pathSuffix: "/blobs/\(blob.digest)") == 1)
        }
        let requests = try await registry.requests()
        // The skopeo ping, the manifest by tag, then each config and layer blob exactly once.
        let expected = [RegistryRequestShape("GET", "/v2/", 200), .init("GET", "/v2/library/demo/manifests/v1", 200)]
            + image.blobs.map { RegistryRequestShape("GET", "/v2/library/demo/blobs/\($0.digest)", 200) }
        #expect(Set(requests.map(RegistryRequestShape.init)) == Set(expected))
        #expect(requests.count == expected.count)
        let layerBytesServed = requests.filter { $0.path.contains("/blobs/") }.map(\.byteCount).reduce(0, +)
        #expect(layerBytesServed == image.blobs.map(\.byteCount).reduce(0, +))
    }

    @Test func skopeoCopiesOCIIndexAndDockerListWithAllPlatformsByteForByte() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let builder = ImageBuilder(directory: work.url)
        let layers: [ImageBuilder.Layer] = [.file(byteCount: 10_000), .file(byteCount: 70_000)]
        let index = try await builder.multiPlatformImage(name: "oci", layers: layers, seed: 7)
        let list = try await builder.multiPlatformImage(name: "docker", layers: layers, seed: 7, format: .docker)
        let seeder = RegistrySeeder(registry: registry)
        try await seeder.push(index, repository: "multi", tag: "oci")
        try await seeder.push(list, repository: "multi", tag: "docker")

        for (tag, image) in [("oci", index), ("docker", list)] {
            let destination = work.appending("pulled-\(tag)")
            try await Skopeo().copy("\(registry.hostAndPort)/multi:\(tag)", to: destination, all: true)
            let verified = try await Skopeo.verifyDirectory(destination)
            #expect(verified.manifestDigest == image.root.digest)
            #expect(verified.manifestMediaType == image.root.mediaType)
            #expect(Set(verified.verifiedDigests) == Set(image.manifests.map(\.descriptor.digest) + image.blobs.map(\.digest)))
            #expect(try await Skopeo().inspectRaw("\(registry.hostAndPort)/multi:\(tag)") == image.rootBytes)
        }
        #expect(index.blobs == list.blobs.map { blob in
            let isConfig = blob.mediaType == FixtureMediaType.dockerConfig
            return ContentDescriptor(
                mediaType: isConfig ? FixtureMediaType.ociConfig : FixtureMediaType.ociLayerGzip,
                digest: blob.digest, byteCount: blob.byteCount)
        })
        for blob in index.blobs {  // shared by both tags, pulled once per copy
            #expect(try await registry.requestCount(method: "GET", pathSuffix: "/blobs/\(blob.digest)") == 2)
        }
    }

    @Test func tlsRegistryWithHtpasswdServesOnlyAuthenticatedClientsTrustingTheTestCA() async throws {
        let work = try TemporaryDirectory()
        var options = RegistryProcess.Options()
        options.transport = .tls
        options.authentication = .htpasswd(username: "alice", password: "s3cret")
        let registry = try await RegistryProcess.start(options)
        #expect(registry.baseURL.scheme == "https")
        let image = try await ImageBuilder(directory: work.url).image(name: "small", layers: [.file(byteCount: 5000)], seed: 3)
        try await RegistrySeeder(registry: registry).push(image, repository: "private/app", tag: "1.0")
        let reference = "\(registry.hostAndPort)/private/app:1.0"

        var trusting = Skopeo()
        trusting.tlsVerify = true
        trusting.certificateDirectory = try #require(registry.certificateAuthority).certificateDirectory
        await #expect(throws: ChildProcess.Failure.self) { try await trusting.inspectRaw(reference) }  // no credentials
        trusting.credentials = .init(username: "alice", password: "s3cret")
        #expect(try await trusting.inspectRaw(reference) == image.rootBytes)

        var untrusting = Skopeo()
        untrusting.tlsVerify = true
        untrusting.credentials = trusting.credentials
        await #expect(throws: ChildProcess.Failure.self) { try await untrusting.inspectRaw(reference) }

        let unauthorized = try await registry.requests().filter { $0.status == 401 }
        #expect(unauthorized.count >= 2 && unauthorized.allSatisfy { $0.path.hasPrefix("/v2/") })
        #expect(try await registry.requestCount(method: "GET", pathSuffix: "/manifests/1.0") >= 1)
    }

    @Test func movedTagServesTheNewManifest() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let builder = ImageBuilder(directory: work.url)
        let first = try await builder.image(name: "first", layers: [.file(byteCount: 4000)], seed: 10)
        let second = try await builder.image(name: "second", layers: [.file(byteCount: 4000)], seed: 11)
        let seeder = RegistrySeeder(registry: registry)
        try await seeder.push(first, repository: "retag", tag: "latest")
        let reference = "\(registry.hostAndPort)/retag:latest"
        #expect(try await Skopeo().inspectRaw(reference) == first.rootBytes)

        try await seeder.moveTag("latest", in: "retag", to: second)
        #expect(first.root.digest != second.root.digest)
        #expect(try await Skopeo().inspectRaw(reference) == second.rootBytes)
        #expect(try await registry.requestCount(method: "GET", pathSuffix: "/manifests/latest") == 2)
    }

    @Test func stoppedRegistryRefusesThenRestartsOnSamePortWithSameContent() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(name: "img", layers: [.file(byteCount: 2000)], seed: 5)
        try await RegistrySeeder(registry: registry).push(image, repository: "down", tag: "v1")
        let reference = "\(registry.hostAndPort)/down:v1"
        #expect(try await Skopeo().inspectRaw(reference) == image.rootBytes)
        let portBefore = registry.port

        registry.stop()
        #expect(!registry.isRunning)
        await #expect(throws: ChildProcess.Failure.self) { try await Skopeo().inspectRaw(reference) }

        try await registry.restart()
        #expect(registry.port == portBefore)
        #expect(try await Skopeo().inspectRaw(reference) == image.rootBytes)
        #expect(try await registry.requestCount(method: "GET", pathSuffix: "/manifests/v1") == 2)  // across the restart
    }

    @Test func suspendedRegistryAcceptsButNeverAnswersUntilResumed() async throws {
        let registry = try await RegistryProcess.start()
        registry.suspend()
        var request = URLRequest(url: registry.baseURL.appendingPathComponent("v2/"))
        request.timeoutInterval = 0.5
        await #expect(throws: (any Error).self) { try await LoopbackHTTP.send(request) }
        registry.resume()
        request.timeoutInterval = 5
        #expect(try await LoopbackHTTP.send(request).1.statusCode == 200)
    }

    @Test func releasedRegistryEndsItsProcesses() async throws {
        var registry: RegistryProcess? = try await RegistryProcess.start()
        let processIDs = [registry?.processID, registry?.seedingRegistry?.processID].compactMap { $0 ?? nil }
        #expect(processIDs.count == 2)
        registry = nil
        for processID in processIDs {
            #expect(kill(processID, 0) == -1 && errno == ESRCH)
        }
    }

    @Test func verifyDirectoryRejectsCorruptedAndMissingBlobs() async throws {
        let work = try TemporaryDirectory()
        let image = try await ImageBuilder(directory: work.url).image(
            name: "img", layers: [.file(byteCount: 3000), .file(byteCount: 4000)], seed: 8)
        let copy = try work.makeSubdirectory("dir-copy")  // the dir: transport's shape
        try image.rootBytes.write(to: copy.appendingPathComponent("manifest.json"))
        for blob in image.blobs {
            try image.contents(digest: blob.digest).write(to: copy.appendingPathComponent(blob.hex))
        }
        #expect(try await Skopeo.verifyDirectory(copy).verifiedDigests.count == 3)

        let layer = try #require(image.manifests.first?.layers.last)
        var corrupted = try image.contents(digest: layer.digest)
        corrupted[corrupted.count / 2] ^= 0xff
        try corrupted.write(to: copy.appendingPathComponent(layer.hex))
        await #expect(throws: Skopeo.Failure.self) { try await Skopeo.verifyDirectory(copy) }

        try FileManager.default.removeItem(at: copy.appendingPathComponent(layer.hex))
        await #expect(throws: Skopeo.Failure.missingFile(digest: layer.digest, path: copy.appendingPathComponent(layer.hex).path)) {
            try await Skopeo.verifyDirectory(copy)
        }
    }

    @Test func resetRequestLogForgetsEarlierRequests() async throws {
        let registry = try await RegistryProcess.start()
        let missing = "sha256:" + String(repeating: "0", count: 64)
        let (_, response) = try await LoopbackHTTP.send(URLRequest(url: URL(string: "\(registry.baseURL)/v2/x/blobs/\(missing)")!))
        #expect(response.statusCode == 404)
        #expect(try await registry.requests().map(RegistryRequestShape.init) == [.init("GET", "/v2/x/blobs/\(missing)", 404)])
        try await registry.resetRequestLog()
        #expect(try await registry.requests().isEmpty)
    }
}

/// Method, path and status of a logged request, comparable in expectations.
private struct RegistryRequestShape: Hashable, CustomStringConvertible {
    let method: String
    let path: String
    let status: Int

    init(_ method: String, _ path: String, _ status: Int) {
        self.method = method
        self.path = path
        self.status = status
    }

    init(_ request: RegistryRequest) {
        self.init(request.method, request.path, request.status)
    }

    var description: String { "\(method) \(path) \(status)" }
}
