import Foundation
import Testing

/// containerd's `?ns=` between two upstream registries (issue 4 item 8.7): each configured
/// name reaches its own registry, tags are cached per upstream, and a name that is not
/// configured is refused with DENIED before any outbound connection.
@Suite struct NamespaceRoutingTests {
    private static let repository = "shared/app"

    @Test func nsSelectsEachRegistrysOwnManifestForTheSameRepositoryAndTag() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-ns")
        let one = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let two = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let builder = ImageBuilder(directory: work.url)
        let imageOne = try await builder.image(name: "one", layers: [.file(byteCount: 2048)], seed: 700)
        let imageTwo = try await builder.image(name: "two", layers: [.file(byteCount: 2048)], seed: 701, format: .docker)
        try await RegistrySeeder(registry: one).push(imageOne, repository: Self.repository, tag: "v1")
        try await RegistrySeeder(registry: two).push(imageTwo, repository: Self.repository, tag: "v1")
        try await one.resetRequestLog()
        try await two.resetRequestLog()
        let cistern = try CisternInstance(upstreams: [("one", one.baseURL.absoluteString), ("two", two.baseURL.absoluteString)])
        let base = "/v2/\(Self.repository)"
        let accept = AcceptVariant.containerd.headers

        // Twice each, interleaved: the second round comes from per-upstream tag records.
        for round in 1...2 {
            for (query, image) in [("?ns=one", imageOne), ("?ns=two", imageTwo), ("", imageOne)] {
                let response = try await OffPool.fetch(port: cistern.port, "\(base)/manifests/v1\(query)", headers: accept)
                let label = "round \(round) \(query.isEmpty ? "no ns (default upstream)" : query)"
                #expect(response.statusCode == 200, "\(label)")
                #expect(response.header("Content-Type") == image.root.mediaType, "\(label)")
                #expect(response.header("Docker-Content-Digest") == image.root.digest, "\(label)")
                #expect(response.body == Array(image.rootBytes), "\(label)")
            }
        }
        let layerTwo = try #require(imageTwo.manifests.first?.layers.first)
        let blob = try await OffPool.fetch(port: cistern.port, "\(base)/blobs/\(layerTwo.digest)?ns=two")
        #expect(blob.statusCode == 200)
        #expect(TestSHA256.digest(blob.body) == layerTwo.digest)

        #expect(try await one.requestCount(method: "GET", pathSuffix: "\(base)/manifests/v1") == 1)
        #expect(try await two.requestCount(method: "GET", pathSuffix: "\(base)/manifests/v1") == 1)
        #expect(try await one.requestCount(method: "GET", pathSuffix: "\(base)/blobs/\(layerTwo.digest)") == 0)
        #expect(try await two.requestCount(method: "GET", pathSuffix: "\(base)/blobs/\(layerTwo.digest)") == 1)
    }

    @Test func anUnknownNsIsDeniedWithAnOCIErrorAndNoOutboundRequest() async throws {
        let one = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let two = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try CisternInstance(upstreams: [("one", one.baseURL.absoluteString), ("two", two.baseURL.absoluteString)])
        try await one.resetRequestLog()
        try await two.resetRequestLog()
        let digest = TestSHA256.digest(Array("anything".utf8))
        let base = "/v2/\(Self.repository)"
        let targets = [
            "\(base)/manifests/v1", "\(base)/manifests/\(digest)", "\(base)/blobs/\(digest)",
            "\(base)/tags/list", "\(base)/referrers/\(digest)",
        ]
        // Not configured: another registry, Docker Hub (no docker.io upstream here), an
        // upstream's URL host instead of its name, a near miss in case.
        let names = ["three", "docker.io", "registry-1.docker.io", one.hostAndPort, "One"]
        for target in targets {
            for name in names {
                for method in ["GET", "HEAD"] {
                    let response = try await OffPool.fetch(port: cistern.port, method: method, "\(target)?ns=\(name)")
                    let label = "\(method) \(target)?ns=\(name)"
                    #expect(response.statusCode == 403, "\(label)")
                    #expect(response.header("Content-Type") == "application/json; charset=utf-8", "\(label)")
                    if method == "GET" {
                        #expect(OCIErrorDocument(response.body)?.codes == ["DENIED"], "\(label): \(response.bodyText)")
                    }
                }
            }
        }
        #expect(try await one.requests().isEmpty)
        #expect(try await two.requests().isEmpty)
    }

    /// Two `ns` parameters leave open which upstream is meant (issue 10 item f): 400 with the
    /// spec's code-13 `UNSUPPORTED` ("invalid set of parameters"), as every other malformed
    /// query gets, before any outbound connection; `NAME_INVALID` would wrongly blame the name.
    @Test func twoNsParametersAre400UnsupportedWithNoOutboundRequest() async throws {
        let one = try FakeUpstream()
        defer { one.stop() }
        let two = try FakeUpstream()
        defer { two.stop() }
        let cistern = try CisternInstance(upstreams: [("one", one.baseURL), ("two", two.baseURL)])
        defer { cistern.stop() }
        let digest = TestSHA256.digest(Array("anything".utf8))
        let base = "/v2/\(Self.repository)"
        for target in ["\(base)/manifests/v1", "\(base)/blobs/\(digest)", "\(base)/tags/list", "\(base)/referrers/\(digest)"] {
            for query in ["ns=one&ns=two", "ns=one&ns=one", "ns=two&n=1&%6Es=one"] {
                for method in ["GET", "HEAD"] {
                    let response = try await OffPool.fetch(port: cistern.port, method: method, "\(target)?\(query)")
                    let label = "\(method) \(target)?\(query)"
                    #expect(response.statusCode == 400, "\(label)")
                    if method == "GET" {
                        #expect(OCIErrorDocument(response.body)?.codes == ["UNSUPPORTED"], "\(label): \(response.bodyText)")
                    }
                }
            }
        }
        #expect(one.requests.isEmpty)
        #expect(two.requests.isEmpty)
        #expect(one.acceptedConnectionCount == 0 && two.acceptedConnectionCount == 0)
    }
}
