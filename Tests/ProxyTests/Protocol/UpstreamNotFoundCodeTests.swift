import Foundation
import Testing

/// A 404 carries the upstream's own "unknown" code (issue 10 item g): an OCI error body naming
/// NAME_UNKNOWN, MANIFEST_UNKNOWN or BLOB_UNKNOWN is passed on, so a repository the upstream
/// does not have reads as NAME_UNKNOWN, not MANIFEST_UNKNOWN; a 404 without such a body keeps
/// the endpoint's default code.
@Suite struct UpstreamNotFoundCodeTests {
    @Test func anUnknownRepositoryGivesTheUpstreamsNameUnknownAndAPlain404TheDefault() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.setBehaviour(
            .status(404, body: FakeUpstream.errorBody(code: "NAME_UNKNOWN", message: "repository name not known to registry")),
            for: .repository("ghost/app"))
        upstream.setBehaviour(
            .status(404, headers: [TestHeaderField("Content-Type", "text/plain")], body: Array("404 page not found\n".utf8)),
            for: .repository("plain/app"))
        upstream.setBehaviour(
            .status(404, body: FakeUpstream.errorBody(code: "SOMETHING_ELSE", message: "odd")), for: .repository("odd/app"))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        for (repository, code) in [("ghost/app", "NAME_UNKNOWN"), ("plain/app", "MANIFEST_UNKNOWN"), ("odd/app", "MANIFEST_UNKNOWN"),
                                   ("absent/app", "MANIFEST_UNKNOWN")] {
            let response = try await OffPool.fetch(port: cistern.port, "/v2/\(repository)/manifests/latest",
                                                   headers: AcceptVariant.containerd.headers)
            #expect(response.statusCode == 404, "\(repository)")
            #expect(response.header("Content-Type") == "application/json; charset=utf-8", "\(repository)")
            #expect(OCIErrorDocument(response.body)?.codes == [code], "\(repository): \(response.bodyText)")
        }
    }

    @Test func everyMissingThingGetsTheCodeTheRealRegistryGives() async throws {
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try CisternInstance(upstream: registry.baseURL)
        defer { cistern.stop() }
        let digest = TestSHA256.digest(Array("never pushed".utf8))
        // docker-registry 2.8 names the repository unknown on tags/list, and the manifest or
        // blob unknown on the other endpoints, for a repository it does not have.
        let expected = [
            ("/v2/missing/app/tags/list", "NAME_UNKNOWN"),
            ("/v2/missing/app/manifests/latest", "MANIFEST_UNKNOWN"),
            ("/v2/missing/app/manifests/\(digest)", "MANIFEST_UNKNOWN"),
            ("/v2/missing/app/blobs/\(digest)", "BLOB_UNKNOWN"),
        ]
        for (target, code) in expected {
            let direct = try await OffPool.fetch(port: registry.port, target, headers: AcceptVariant.containerd.headers)
            let mirrored = try await OffPool.fetch(port: cistern.port, target, headers: AcceptVariant.containerd.headers)
            #expect(direct.statusCode == 404 && mirrored.statusCode == 404, "\(target)")
            #expect(OCIErrorDocument(direct.body)?.codes == [code], "\(target): \(direct.bodyText)")
            #expect(OCIErrorDocument(mirrored.body)?.codes == [code], "\(target): \(mirrored.bodyText)")
        }
    }
}
