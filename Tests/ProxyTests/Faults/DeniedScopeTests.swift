import Foundation
import Testing

/// A repository the upstream refuses to Cistern's credential even with a fresh token (an
/// anonymous token without access, as Docker Hub issues for a private repository) is
/// remembered for a while per upstream, repository and scope (issue 10 item c): repeated
/// requests for it do not each fetch a new token, and other repositories are unaffected.
@Suite struct DeniedScopeTests {
    @Test func repeatedRequestsForADeniedRepositoryFetchOneTokenNotOneEach() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let denied = "private/app"
        let allowed = "public/app"
        upstream.enableTokenAuth(FakeUpstream.TokenAuthConfiguration(deniedRepositories: [denied]))
        let manifest = Array(#"{"schemaVersion":2,"layers":[]}"#.utf8)
        for repository in [denied, allowed] {
            upstream.addManifest(repository: repository, tag: "v1", bytes: manifest, mediaType: FixtureMediaType.ociManifest)
        }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let target = "/v2/\(denied)/manifests/v1"

        for attempt in 1...7 {
            let response = try await OffPool.fetch(port: cistern.port, target, headers: AcceptVariant.containerd.headers)
            #expect(response.statusCode == 401, "attempt \(attempt): \(response.bodyText)")
            #expect(OCIErrorDocument(response.body)?.codes == ["UNAUTHORIZED"], "attempt \(attempt): \(response.bodyText)")
        }
        // One token, asked for by the first request; each later request went upstream once,
        // with that token, and took the refusal as it was (a HEAD: an unknown tag is asked
        // with HEAD first, and a refused HEAD needs no GET).
        #expect(upstream.tokenRequestCount == 1)
        #expect(upstream.requestCount(method: "HEAD", path: target) == 8)
        #expect(upstream.requestCount(method: "GET", path: target) == 0)

        // Another repository on the same upstream gets its own token and its manifest.
        let other = try await OffPool.fetch(port: cistern.port, "/v2/\(allowed)/manifests/v1", headers: AcceptVariant.containerd.headers)
        #expect(other.statusCode == 200)
        #expect(other.body == manifest)
        #expect(upstream.tokenRequestCount == 2)

        // tags/list of the denied repository uses the same scope: still no new token.
        let tags = try await OffPool.fetch(port: cistern.port, "/v2/\(denied)/tags/list")
        #expect(tags.statusCode == 401)
        #expect(upstream.tokenRequestCount == 2)
    }
}
