import Foundation
import Testing
@testable import ProxyPullThrough
@testable import ProxyWarm

/// The warm target's reference (the test target has a fixture type of the same name).
private typealias WarmImageReference = ProxyWarm.ImageReference

/// The warm client against a scriptable fake registry standing in for the mirror: the
/// requests it sends, keep-alive, redirects, chunked bodies, and every way a body can be
/// wrong (fault injection the real registry cannot do).
@Suite struct ImageWarmerTests {
    /// An OCI image `fake/app:v1` (config, one 200 kB layer) stored in `mirror`.
    struct FakeImage {
        let manifest: String
        let config: String
        let layer: String
        let configBytes: [UInt8]
        let layerBytes: [UInt8]
        var byteCount: Int64 { Int64(configBytes.count + layerBytes.count) }
    }

    static func image(in mirror: FakeUpstream) -> FakeImage {
        let configBytes = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        var generator = SystemRandomNumberGenerator()
        let layerBytes = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let config = mirror.addBlob(configBytes)
        let layer = mirror.addBlob(layerBytes)
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config)","size":\(configBytes.count)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(layer)","size":\(layerBytes.count)}]}
            """
        let digest = mirror.addManifest(repository: "fake/app", tag: "v1", bytes: Array(manifest.utf8),
                                        mediaType: "application/vnd.oci.image.manifest.v1+json")
        return FakeImage(manifest: digest, config: config, layer: layer, configBytes: configBytes, layerBytes: layerBytes)
    }

    static func warm(_ mirror: FakeUpstream, _ images: [String] = ["fake/app:v1"], concurrency: Int = 1) throws -> [WarmOutcome] {
        let options = WarmOptions(platform: Platform(parsing: "linux/amd64"), concurrency: concurrency, timeout: .seconds(10),
                                  userAgent: "cistern-warm/test")
        let warmer = ImageWarmer(origin: try MirrorOrigin(parsing: mirror.baseURL), tlsContext: nil, options: options)
        return warmer.warm(try images.map { try WarmImageReference(parsing: $0) }) { _ in }
    }

    @Test func asksForTheTagWithEachClientFamilysAcceptLineThenBlobsByDigestOnOneKeptAliveConnection() throws {
        let mirror = try FakeUpstream()
        defer { mirror.stop() }
        let image = Self.image(in: mirror)
        let outcome = try #require(try Self.warm(mirror).first)
        #expect(outcome.failures == [])
        #expect(outcome.rootDigest?.string == image.manifest)
        #expect((outcome.manifestCount, outcome.blobCount, outcome.byteCount) == (1, 2, image.byteCount))

        let requests = mirror.requests
        #expect(requests.map(\.target) == ["/v2/fake/app/manifests/v1", "/v2/fake/app/manifests/v1",
                                            "/v2/fake/app/blobs/\(image.layer)", "/v2/fake/app/blobs/\(image.config)"])
        #expect(requests.allSatisfy { $0.method == "GET" && $0.connectionIndex == 0 && $0.header("User-Agent") == "cistern-warm/test" })
        // The tag once per client family, each Accept list one field (containerd's, then containers/image's).
        #expect(requests[0].headers.filter { $0.name.lowercased() == "accept" }.map(\.value) == [
            "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, "
                + "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*",
        ])
        #expect(requests[1].headers.filter { $0.name.lowercased() == "accept" }.map(\.value) == [
            "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, "
                + "application/vnd.docker.distribution.manifest.v1+prettyjws, application/vnd.docker.distribution.manifest.v1+json, "
                + "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json",
        ])
        #expect(requests[2].header("Accept") == nil)
    }

    @Test func aBlobSharedByTwoImagesIsFetchedOnce() throws {
        let mirror = try FakeUpstream()
        defer { mirror.stop() }
        let image = Self.image(in: mirror)
        let outcomes = try Self.warm(mirror, ["fake/app:v1", "fake/app@\(image.manifest)"], concurrency: 3)
        #expect(outcomes.map(\.succeeded) == [true, true])
        #expect(outcomes.map(\.blobCount) == [2, 2])
        #expect(mirror.requests.count { $0.target.hasSuffix(image.layer) } == 1)
    }

    @Test func aBlobWhoseBytesDoNotHashToItsDigestFailsTheImage() throws {
        let mirror = try FakeUpstream()
        defer { mirror.stop() }
        let image = Self.image(in: mirror)
        mirror.setBehaviour(.wrongBytes(), for: .digest(image.layer))
        let outcome = try #require(try Self.warm(mirror).first)
        #expect(outcome.failures.count == 1)
        #expect(outcome.failures.first?.hasPrefix("GET /v2/fake/app/blobs/\(image.layer): content hashes to sha256:") == true, "\(outcome.failures)")
        #expect(outcome.blobCount == 1)
    }

    @Test func aManifestWhoseBytesDisagreeWithItsDigestHeaderFailsTheImage() throws {
        let mirror = try FakeUpstream()
        defer { mirror.stop() }
        let image = Self.image(in: mirror)
        mirror.setBehaviour(.wrongBytes(), for: .route(.manifest))
        let outcome = try #require(try Self.warm(mirror, ["fake/app:v1", "fake/app@\(image.manifest)"]).first)
        #expect(outcome.failures.first?.contains("does not match Docker-Content-Digest \(image.manifest)") == true, "\(outcome.failures)")
        #expect(mirror.requests.count { $0.target.contains("/blobs/") } == 0)
    }

    @Test func aBodyCutShortFailsNamingIt() throws {
        let mirror = try FakeUpstream()
        defer { mirror.stop() }
        let image = Self.image(in: mirror)
        mirror.setBehaviour(.closeAfter(bodyByteCount: 70_000), for: .digest(image.layer))
        let outcome = try #require(try Self.warm(mirror).first)
        #expect(outcome.failures == ["http://127.0.0.1:\(mirror.port): body ended 130000 bytes short of Content-Length 200000"])
    }

    @Test func redirectsAreFollowedAndChunkedBodiesDecoded() throws {
        let mirror = try FakeUpstream()
        let storage = try FakeUpstream()
        defer { mirror.stop(); storage.stop() }
        let image = Self.image(in: mirror)
        storage.addBlob(image.configBytes)
        storage.addBlob(image.layerBytes)
        mirror.setBehaviour(.redirect(to: storage), for: .route(.blob))
        storage.setBehaviour(.chunked(chunkByteCount: 7_000))
        let outcome = try #require(try Self.warm(mirror).first)
        #expect(outcome.failures == [])
        #expect(outcome.byteCount == image.byteCount)
        #expect(storage.requests.map(\.target).sorted() == ["/v2/fake/app/blobs/\(image.config)", "/v2/fake/app/blobs/\(image.layer)"].sorted())
    }

    @Test func aKeptAliveConnectionTheServerDroppedIsReplacedOnce() throws {
        let mirror = try FakeUpstream()
        defer { mirror.stop() }
        let image = Self.image(in: mirror)
        mirror.setBehaviour(.closeBeforeAnswer, for: .digest(image.layer), times: 1)
        let outcome = try #require(try Self.warm(mirror).first)
        #expect(outcome.failures == [])
        #expect(mirror.requests.filter { $0.target.hasSuffix(image.layer) }.map(\.connectionIndex) == [0, 1])
    }
}
