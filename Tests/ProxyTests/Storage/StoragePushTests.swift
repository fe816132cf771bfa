import Foundation
import Testing

@testable import ProxyConfig
@testable import ProxyRegistry

/// Push to a storage route and pull back (issue 16 items 2-5, 7): skopeo pushes OCI, Docker
/// schema 2 and an index and pulls them back with every digest verified; chunked uploads and
/// their 416; mounts only from a readable storage repository; writes to a remote route never
/// reach the real upstream; abandoned uploads are removed; a restart keeps pushed images.
@Suite(.serialized) struct StoragePushTests {
    /// `mycorp/*` and `open/*` to storage (push anyone), `private/*` to storage unreadable,
    /// everything else to the upstream.
    private static func routes(_ configuration: inout Configuration, upstream: String) {
        configuration.storageRegistry = "local"
        configuration.routes = [
            RouteConfiguration(match: "mycorp/*", registry: "local", pull: .anyone, push: .anyone),
            RouteConfiguration(match: "open/*", registry: "local", pull: .anyone, push: .anyone),
            RouteConfiguration(match: "private/*", registry: "local", pull: .nobody, push: .anyone),
            RouteConfiguration(match: "*", registry: upstream),
        ]
    }

    private static func start(_ registry: RegistryProcess, cacheDirectory: URL? = nil,
                              configure: (inout Configuration) -> Void = { _ in }) throws -> CisternInstance {
        let name = registry.hostAndPort
        return try CisternInstance(upstreams: [(name, registry.baseURL.absoluteString)], cacheDirectory: cacheDirectory) {
            routes(&$0, upstream: name)
            configure(&$0)
        }
    }

    @Test(arguments: [("oci", 1601), ("docker", 1611), ("index", 1621)])
    func skopeoPushesToAStorageRouteAndPullsBackEveryDigest(kind: String, seed: Int) async throws {
        let work = try TemporaryDirectory(prefix: "cistern-push")
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try Self.start(registry)
        let builder = ImageBuilder(directory: work.url)
        let layers: [ImageBuilder.Layer] = [.file(byteCount: 300_000), .file(byteCount: 4096, path: "b.bin")]
        let image = kind == "index"
            ? try await builder.multiPlatformImage(name: kind, layers: layers, seed: UInt64(seed))
            : try await builder.image(name: kind, layers: layers, seed: UInt64(seed), format: kind == "docker" ? .docker : .oci)
        try await Skopeo.push(image, to: "\(cistern.hostAndPort)/mycorp/app:\(kind)", all: true)

        let pulled = work.url.appendingPathComponent("pulled")
        try await Skopeo().copy("\(cistern.hostAndPort)/mycorp/app:\(kind)", to: pulled, all: true)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == image.root.digest)
        let expected = Set(image.blobs.map(\.digest) + (image.isIndex ? image.manifests.map(\.descriptor.digest) : []))
        #expect(Set(verified.verifiedDigests) == expected)
        // By digest too, and nothing reached the upstream.
        let byDigest = try await OffPool.fetch(port: cistern.port, "/v2/mycorp/app/manifests/\(image.root.digest)",
                                               headers: [("Accept", image.root.mediaType)])
        #expect(byDigest.statusCode == 200)
        #expect(byDigest.body == Array(image.rootBytes))
        #expect(try await registry.requests().isEmpty)
        let tags = try await OffPool.fetch(port: cistern.port, "/v2/mycorp/app/tags/list")
        #expect(tags.statusCode == 200)
        #expect(tags.bodyText == "{\"name\":\"mycorp\\/app\",\"tags\":[\"\(kind)\"]}", "\(tags.bodyText)")
    }

    /// The push's request bodies over TLS: OpenSSL may hold decrypted body bytes the socket
    /// will not signal again, so the body reader must read them from the session.
    @Test func skopeoPushesOverTLSVerifyingTheCAAndPullsBack() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-push-tls")
        let authority = try await TestCertificateAuthority.generateWithIntermediate(in: work.url.appendingPathComponent("ca"))
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try Self.start(registry) {
            $0.tls = TLSListenerConfiguration(certificate: authority.serverCertificateURL.path, key: authority.serverKeyURL.path)
        }
        let image = try await ImageBuilder(directory: work.url).image(
            name: "tls", layers: [.file(byteCount: 3_000_000), .file(byteCount: 4096, path: "b.bin")], seed: 1631)
        try await ChildProcess.run(Skopeo.executablePath, [
            "--insecure-policy", "copy", "--retry-times", "0", "--preserve-digests", "--dest-tls-verify=true",
            "--dest-cert-dir", authority.certificateDirectory.path, "--dest-no-creds",
            "oci:\(image.layoutDirectory.path)", "docker://\(cistern.hostAndPort)/mycorp/tls:1",
        ], timeout: .seconds(65))
        var skopeo = Skopeo()
        skopeo.tlsVerify = true
        skopeo.certificateDirectory = authority.certificateDirectory
        let pulled = work.url.appendingPathComponent("pulled")
        try await skopeo.copy("\(cistern.hostAndPort)/mycorp/tls:1", to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == image.root.digest)
        #expect(Set(verified.verifiedDigests) == Set(image.blobs.map(\.digest)))
        #expect(try await registry.requests().isEmpty)
    }

    @Test func chunkedUploadTakesChunksInOrderAndAnswers416ToAnOutOfOrderChunk() async throws {
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try Self.start(registry)
        let blob = Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let digest = TestSHA256.digest(blob)
        let port = cistern.port
        try await OffPool.run {
            let client = try TestHTTPClient(port: port)
            defer { client.close() }
            let opened = try client.request("POST", "/v2/mycorp/chunks/blobs/uploads/", headers: [("Content-Length", "0")])
            #expect(opened.statusCode == 202)
            let location = try #require(opened.header("Location"))
            #expect(opened.header("Docker-Upload-UUID") != nil)
            let first = try client.request("PATCH", location, headers: [("Content-Range", "0-59999"), ("Content-Type", "application/octet-stream")],
                                           body: Array(blob[0..<60000]))
            #expect(first.statusCode == 202)
            #expect(first.header("Range") == "0-59999")
            let gap = try client.request("PATCH", location, headers: [("Content-Range", "70000-79999")], body: Array(blob[70000..<80000]))
            #expect(gap.statusCode == 416)
            #expect(gap.header("Range") == "0-59999")
            let again = try TestHTTPClient(port: port)
            defer { again.close() }
            let status = try again.request("GET", location)
            #expect(status.statusCode == 204)
            #expect(status.header("Range") == "0-59999")
            // The last chunk, chunked on the wire, with the closing PUT.
            var chunked: [UInt8] = []
            for piece in stride(from: 60000, to: blob.count, by: 7000) {
                let part = blob[piece..<min(piece + 7000, blob.count)]
                chunked += Array("\(String(part.count, radix: 16))\r\n".utf8) + part + Array("\r\n".utf8)
            }
            chunked += Array("0\r\n\r\n".utf8)
            // Raw: `send` would add a Content-Length beside Transfer-Encoding.
            try again.sendRaw(Array("PUT \(location)?digest=\(digest) HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + chunked)
            let closed = again.readResponse(method: "PUT", options: TestHTTPClient.Options())
            #expect(closed.statusCode == 201, "\(closed.bodyText)")
            #expect(closed.header("Docker-Content-Digest") == digest)
            let wrong = try again.request("POST", "/v2/mycorp/chunks/blobs/uploads/?digest=\(TestSHA256.digest([1, 2, 3]))", body: [9, 9, 9])
            #expect(wrong.statusCode == 400)
            #expect(OCIErrorDocument(wrong.body)?.codes == ["DIGEST_INVALID"])
        }
        let fetched = try await OffPool.fetch(port: port, "/v2/mycorp/chunks/blobs/\(digest)")
        #expect(fetched.statusCode == 200)
        #expect(TestSHA256.digest(fetched.body) == digest)
    }

    @Test func aMountFromARepositoryTheClientMayNotPullOpensAnUploadInstead() async throws {
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try Self.start(registry)
        let blob = Array("mount me".utf8)
        let digest = TestSHA256.digest(blob)
        let port = cistern.port
        try await OffPool.run {
            for source in ["private/src", "open/src"] {
                let pushed = try TestHTTPClient.fetch(port: port, method: "POST", "/v2/\(source)/blobs/uploads/?digest=\(digest)")
                _ = pushed
                let client = try TestHTTPClient(port: port)
                defer { client.close() }
                let monolithic = try client.request("POST", "/v2/\(source)/blobs/uploads/?digest=\(digest)", body: blob)
                #expect(monolithic.statusCode == 201, "\(source)")
            }
            let refused = try TestHTTPClient.fetch(port: port, method: "POST", "/v2/mycorp/app/blobs/uploads/?mount=\(digest)&from=private/src")
            #expect(refused.statusCode == 202)
            #expect(refused.header("Location")?.hasPrefix("/v2/mycorp/app/blobs/uploads/") == true)
            let unread = try TestHTTPClient.fetch(port: port, method: "HEAD", "/v2/mycorp/app/blobs/\(digest)")
            #expect(unread.statusCode == 404)
            let mounted = try TestHTTPClient.fetch(port: port, method: "POST", "/v2/mycorp/app/blobs/uploads/?mount=\(digest)&from=open/src")
            #expect(mounted.statusCode == 201)
            #expect(mounted.header("Location") == "/v2/mycorp/app/blobs/\(digest)")
            let readable = try TestHTTPClient.fetch(port: port, method: "HEAD", "/v2/mycorp/app/blobs/\(digest)")
            #expect(readable.statusCode == 200)
            let privatePull = try TestHTTPClient.fetch(port: port, "/v2/private/src/blobs/\(digest)")
            #expect(privatePull.statusCode == 403)
        }
    }

    @Test func aPushToARemoteRouteIsRefusedAndNothingReachesTheUpstream() async throws {
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try Self.start(registry)
        try await registry.resetRequestLog()
        let digest = TestSHA256.digest(Array("x".utf8))
        let writes: [(String, String)] = [
            ("PUT", "/v2/library/alpine/manifests/latest"), ("DELETE", "/v2/library/alpine/manifests/\(digest)"),
            ("POST", "/v2/library/alpine/blobs/uploads/"), ("PATCH", "/v2/library/alpine/blobs/uploads/abc"),
            ("DELETE", "/v2/library/alpine/blobs/\(digest)"),
        ]
        let port = cistern.port
        for (method, target) in writes {
            let response = try await OffPool.run { try TestHTTPClient.fetch(port: port, method: method, target) }
            #expect(response.statusCode == 405, "\(method) \(target)")
            #expect(OCIErrorDocument(response.body)?.codes == ["UNSUPPORTED"], "\(method) \(target)")
            if !target.contains("/uploads") { #expect(response.header("Allow") == "GET, HEAD", "\(method) \(target)") }
        }
        let writesSeen = try await registry.requests().filter { $0.method != "GET" && $0.method != "HEAD" }
        #expect(writesSeen.isEmpty)
        #expect(try await registry.requests().isEmpty)
    }

    @Test func anAbandonedUploadIsRemovedAfterTheUploadTimeout() async throws {
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try Self.start(registry) { $0.uploadTimeout = .milliseconds(300) }
        let port = cistern.port
        let opened = try await OffPool.run { try TestHTTPClient.fetch(port: port, method: "POST", "/v2/mycorp/gone/blobs/uploads/") }
        let location = try #require(opened.header("Location"))
        let uploadFiles = { (try? FileManager.default.contentsOfDirectory(atPath: cistern.cacheDirectory.appendingPathComponent("storage/tmp").path))?
            .filter { $0.hasPrefix("upload-") } ?? [] }
        #expect(uploadFiles().count == 1)
        let deadline = ContinuousClock.now + .seconds(10)
        var status = 0
        while ContinuousClock.now < deadline {
            status = try await OffPool.run { try TestHTTPClient.fetch(port: port, location).statusCode ?? 0 }
            if status == 404 && uploadFiles().isEmpty { break }
            TestTime.sleep(.milliseconds(50))
        }
        #expect(status == 404)
        #expect(uploadFiles().isEmpty)
    }

    @Test func aRestartKeepsPushedImages() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-push-restart")
        let cache = try TemporaryDirectory(prefix: "cistern-cache-restart")
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let image = try await ImageBuilder(directory: work.url).image(name: "kept", layers: [.file(byteCount: 20_000)], seed: 1631)
        var cistern: CisternInstance? = try Self.start(registry, cacheDirectory: cache.url)
        try await Skopeo.push(image, to: "\(cistern!.hostAndPort)/mycorp/kept:v1", all: true)
        cistern?.stop()
        cistern = nil
        let restarted = try Self.start(registry, cacheDirectory: cache.url)
        let pulled = work.url.appendingPathComponent("pulled")
        try await Skopeo().copy("\(restarted.hostAndPort)/mycorp/kept:v1", to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == image.root.digest)
        #expect(Set(verified.verifiedDigests) == Set(image.blobs.map(\.digest)))
    }
}
