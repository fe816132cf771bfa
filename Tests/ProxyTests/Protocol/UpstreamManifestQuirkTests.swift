import Foundation
import Testing

/// Upstream manifest answers that must not change what clients see (issue 10 item 2): an
/// untyped manifest keeps the type its body declares, and a refusal of the mirror's own
/// credential while revalidating a known tag is an outage to the client, served stale.
@Suite struct UpstreamManifestQuirkTests {
    private static let repository = "quirk/app"

    private static func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Manifests whose body says (or implies) their type, sent without Content-Type or with
    /// the generic `application/json`.
    static let untyped: [(label: String, bytes: [UInt8], expected: String)] = [
        ("Docker schema 2 with mediaType",
         json(#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:\#(String(repeating: "1", count: 64))","size":2},"layers":[]}"#),
         FixtureMediaType.dockerManifest),
        ("OCI manifest with mediaType",
         json(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "2", count: 64))","size":2},"layers":[]}"#),
         FixtureMediaType.ociManifest),
        ("OCI index without mediaType",
         json(#"{"schemaVersion":2,"manifests":[]}"#),
         FixtureMediaType.ociIndex),
    ]

    @Test(arguments: untyped, [true, false])
    func aManifestWithoutAUsefulContentTypeIsServedWithTheTypeItsBodyDeclares(
        _ example: (label: String, bytes: [UInt8], expected: String), omitted: Bool
    ) async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: Self.repository, tag: "v1", bytes: example.bytes, mediaType: "application/json")
        if omitted { upstream.setBehaviour(.omitContentType, for: .route(.manifest)) }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let label = "\(example.label), Content-Type \(omitted ? "absent" : "application/json")"
        for target in ["/v2/\(Self.repository)/manifests/v1", "/v2/\(Self.repository)/manifests/\(digest)"] {
            let response = try await OffPool.fetch(port: cistern.port, target)
            #expect(response.statusCode == 200, "\(label): \(response.bodyText)")
            #expect(response.header("Content-Type") == example.expected, "\(label) \(target)")
            #expect(response.header("Docker-Content-Digest") == digest, "\(label) \(target)")
            #expect(response.body == example.bytes, "\(label) \(target)")
        }
    }

    private static let ociManifest = json(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "3", count: 64))","size":2},"layers":[]}"#)

    @Test(arguments: [401, 403])
    func aKnownTagIsServedStaleWhenTheUpstreamRefusesTheMirrorsCredentialWhileRevalidating(_ status: Int) async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: Self.repository, tag: "v1", bytes: Self.ociManifest, mediaType: FixtureMediaType.ociManifest)
        // TTL 0: every request revalidates.
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.tagTTL = .zero }
        defer { cistern.stop() }
        let path = "/v2/\(Self.repository)/manifests/v1"
        #expect(try await OffPool.fetch(port: cistern.port, path).statusCode == 200)

        let code = status == 401 ? "UNAUTHORIZED" : "DENIED"
        upstream.setBehaviour(.status(status, body: FakeUpstream.errorBody(code: code, message: "refused")), for: .route(.manifest))
        upstream.clearRecordedRequests()
        for method in ["GET", "HEAD"] {
            let stale = try await OffPool.fetch(port: cistern.port, method: method, path)
            #expect(stale.statusCode == 200, "\(status) \(method): \(stale.bodyText)")
            #expect(stale.header("Docker-Content-Digest") == digest)
            #expect(stale.header("Cache-Control") == "max-age=0")
            if method == "GET" { #expect(stale.body == Self.ociManifest) }
        }
        #expect(upstream.requestCount(method: "HEAD", path: path) == 2, "each request still asks the upstream")
        let metrics = try await OffPool.run { [port = cistern.port] in try MetricsScrape(port: port) }
        #expect(metrics.value("cistern_stale_served_denied_total") == 2)
        #expect(metrics.value("cistern_stale_served_total") == 2)
    }

    @Test(arguments: [401, 403])
    func withServeStaleOnDeniedOffTheClientGetsTheRefusal(_ status: Int) async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.addManifest(repository: Self.repository, tag: "v1", bytes: Self.ociManifest, mediaType: FixtureMediaType.ociManifest)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) {
            $0.tagTTL = .zero
            $0.serveStaleOnDenied = false
        }
        defer { cistern.stop() }
        let path = "/v2/\(Self.repository)/manifests/v1"
        #expect(try await OffPool.fetch(port: cistern.port, path).statusCode == 200)
        upstream.setBehaviour(.status(status), for: .route(.manifest))
        let refused = try await OffPool.fetch(port: cistern.port, path)
        #expect(refused.statusCode == status, "\(refused.bodyText)")
        #expect(OCIErrorDocument(refused.body)?.codes == [status == 401 ? "UNAUTHORIZED" : "DENIED"])
    }

    /// The repository-confirmation HEAD is never answered stale: a 403 there is a refusal.
    @Test func aDeniedRepositoryConfirmationIsNeverServedStale() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: Self.repository, tag: "v1", bytes: Self.ociManifest, mediaType: FixtureMediaType.ociManifest)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/\(Self.repository)/manifests/v1").statusCode == 200)
        upstream.setBehaviour(.status(403), for: .path("/v2/other/app/manifests/\(digest)"))
        let refused = try await OffPool.fetch(port: cistern.port, "/v2/other/app/manifests/\(digest)")
        #expect(refused.statusCode == 403)
        #expect(!refused.body.starts(with: Self.ociManifest.prefix(10)))
    }
}
